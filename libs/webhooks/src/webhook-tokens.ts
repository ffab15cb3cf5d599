/** The BullMQ queue of webhook deliveries (Queue<DeliveryJob>). */
export const WEBHOOK_QUEUE = Symbol('WEBHOOK_QUEUE');
/** SecretBox sealing signing secrets, or null when no key is configured. */
export const SECRET_BOX = Symbol('SECRET_BOX');
