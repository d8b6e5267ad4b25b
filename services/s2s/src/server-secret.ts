// The server's own secret (PARLEY_SERVER_SECRET, or a generated file in the data directory) and
// what is derived from it: the key that seals component secrets in the database and the dialback
// secret of XEP-0185. Keys are derived per purpose (HMAC-SHA256 with a label) so neither use can
// stand in for the other. Every process of a cluster must see the same secret (decision 0025).
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ParleyConfig } from '@parley/config';

export interface ServerKeys {
  /** AES-256-GCM with the domain as associated data: a sealed secret moved to another row does not open. */
  seal(domain: string, secret: string): string;
  /** The secret, or null when the sealed value was not made with this server's key (or was altered). */
  open(domain: string, sealed: string): string | null;
  /** XEP-0185 §3: the dialback secret keys are computed from. */
  dialback: Buffer;
}

const FILE = 'server-secret';

/** Reads the configured secret, or the data directory's (created on first use, readable by the owner only). */
export function serverSecret(config: Pick<ParleyConfig, 'serverSecret' | 'dataDir'>): string {
  if (config.serverSecret) return config.serverSecret;
  const path = join(config.dataDir, FILE);
  try {
    writeFileSync(path, `${randomBytes(32).toString('base64url')}\n`, { flag: 'wx', mode: 0o600 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  return readFileSync(path, 'utf8').trim();
}

export function serverKeys(config: Pick<ParleyConfig, 'serverSecret' | 'dataDir'>): ServerKeys {
  const secret = serverSecret(config);
  const derive = (label: string) => createHmac('sha256', secret).update(label).digest();
  const sealKey = derive('parley/component-secrets/v1');
  return {
    seal(domain, plain) {
      const iv = randomBytes(12);
      const c = createCipheriv('aes-256-gcm', sealKey, iv).setAAD(Buffer.from(domain));
      const body = Buffer.concat([c.update(plain, 'utf8'), c.final()]);
      return ['v1', iv, c.getAuthTag(), body].map((p) => (typeof p === 'string' ? p : p.toString('base64url'))).join('.');
    },
    open(domain, sealed) {
      const [v, iv, tag, body] = sealed.split('.');
      if (v !== 'v1' || !iv || !tag || body === undefined) return null;
      try {
        const d = createDecipheriv('aes-256-gcm', sealKey, Buffer.from(iv, 'base64url')).setAAD(Buffer.from(domain));
        d.setAuthTag(Buffer.from(tag, 'base64url'));
        return Buffer.concat([d.update(Buffer.from(body, 'base64url')), d.final()]).toString('utf8');
      } catch {
        return null;
      }
    },
    dialback: derive('parley/dialback/v1'),
  };
}
