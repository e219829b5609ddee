import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

const VERSION = 'v1';

/** Thrown when a stored secret cannot be decrypted with the configured key. */
export class SecretDecryptError extends Error {
  constructor() {
    super('stored secret cannot be decrypted: RAYNE_ENCRYPTION_KEY differs from the key it was written with');
    this.name = 'SecretDecryptError';
  }
}

/** AES-256-GCM for secrets at rest (Datadog keys, webhook secrets). */
export class SecretBox {
  constructor(private readonly key: Buffer) {
    if (key.length !== 32) throw new Error('encryption key must be 32 bytes');
  }

  encrypt(plain: string): string {
    const iv = crypto.randomBytes(12);
    const cipher = crypto.createCipheriv('aes-256-gcm', this.key, iv);
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return [VERSION, iv, cipher.getAuthTag(), body].map((p) => (typeof p === 'string' ? p : p.toString('base64'))).join(':');
  }

  decrypt(sealed: string): string {
    const [version, iv, tag, body] = sealed.split(':');
    if (version !== VERSION || !iv || !tag || body === undefined) throw new SecretDecryptError();
    try {
      const decipher = crypto.createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64'));
      decipher.setAuthTag(Buffer.from(tag, 'base64'));
      return Buffer.concat([decipher.update(Buffer.from(body, 'base64')), decipher.final()]).toString('utf8');
    } catch {
      throw new SecretDecryptError();
    }
  }
}

/** Reads a 32-byte key written as 64 hex characters or base64; throws naming the variable. */
export function parseEncryptionKey(value: string): Buffer {
  const key = /^[0-9a-fA-F]{64}$/.test(value) ? Buffer.from(value, 'hex') : Buffer.from(value, 'base64');
  if (key.length !== 32) {
    throw new Error('RAYNE_ENCRYPTION_KEY must be 32 bytes, written as 64 hex characters or base64 (openssl rand -hex 32)');
  }
  return key;
}

/**
 * The configured key, or in development a key generated once into RAYNE_HOME/encryption.key.
 * Losing that file makes stored account keys unreadable, so production sets RAYNE_ENCRYPTION_KEY.
 */
export function loadSecretBox(configuredKey: string | undefined, home: string): SecretBox {
  if (configuredKey) return new SecretBox(parseEncryptionKey(configuredKey));
  const file = path.join(home, 'encryption.key');
  if (!fs.existsSync(file)) {
    fs.mkdirSync(home, { recursive: true });
    fs.writeFileSync(file, crypto.randomBytes(32).toString('hex'), { mode: 0o600, flag: 'wx' });
  }
  return new SecretBox(parseEncryptionKey(fs.readFileSync(file, 'utf8').trim()));
}
