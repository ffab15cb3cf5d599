import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

export { parseSecretKey } from '#libs/config/src/webhooks-config';

/** AES-256-GCM: 32-byte key, 12-byte nonce, 16-byte tag. */
export const SECRET_KEY_BYTES = 32;
const NONCE_BYTES = 12;
const FORMAT = 'v1';

/**
 * Seals webhook signing secrets for the event log and read models. Coffer must sign with the
 * plaintext later, so a one-way hash will not do: secrets are encrypted with AES-256-GCM under
 * a key that lives outside the database (WEBHOOK_SECRET_KEY, or a key file in DATA_DIR on the
 * embedded default). A copy of the log or the database alone does not reveal them.
 *
 * Sealed form: `v1.<key id>.<nonce>.<tag>.<ciphertext>` (base64url). The key id (a short hash
 * of the key) makes "sealed under another key" a clear error instead of a failed tag check.
 */
export class SecretBox {
  readonly keyId: string;

  constructor(private readonly key: Buffer) {
    if (key.length !== SECRET_KEY_BYTES)
      throw new Error(`SecretBox: the key must be ${SECRET_KEY_BYTES} bytes`);
    this.keyId = createHash('sha256').update(key).digest('base64url').slice(0, 8);
  }

  /** A copy of the key, for the webhook delivery thread of this process (delivery-thread.ts). Never log it. */
  exportKey(): Uint8Array {
    return new Uint8Array(this.key);
  }

  seal(plaintext: string): string {
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, nonce);
    cipher.setAAD(Buffer.from(this.keyId));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [
      FORMAT,
      this.keyId,
      nonce.toString('base64url'),
      cipher.getAuthTag().toString('base64url'),
      ciphertext.toString('base64url'),
    ].join('.');
  }

  open(sealed: string): string {
    const [format, keyId, nonce, tag, ciphertext] = sealed.split('.');
    if (format !== FORMAT || !nonce || !tag || ciphertext === undefined)
      throw new Error('SecretBox: not a sealed secret');
    if (keyId !== this.keyId)
      throw new Error(`SecretBox: sealed under key ${keyId}, but WEBHOOK_SECRET_KEY is key ${this.keyId}`);
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(nonce, 'base64url'));
    decipher.setAAD(Buffer.from(this.keyId));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString(
      'utf8',
    );
  }
}

export function newSecretKey(): string {
  return randomBytes(SECRET_KEY_BYTES).toString('base64');
}
