/** The BullMQ queue of webhook deliveries (Queue<DeliveryJob>). */
export const WEBHOOK_QUEUE = Symbol('WEBHOOK_QUEUE');
/** SecretBox sealing signing secrets (start-up fails without a key: crypto/secret-key.ts). */
export const SECRET_BOX = Symbol('SECRET_BOX');
