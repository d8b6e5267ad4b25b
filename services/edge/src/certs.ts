import { X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '@parley/log';

export interface TlsMaterial {
  cert: string;
  key: string;
  /** SHA-256 fingerprint, colon-separated hex, for clients to pin a self-signed certificate. */
  fingerprint: string;
  selfSigned: boolean;
  source: string;
}

/**
 * The certificate from configuration, or a self-signed one created in the data directory on
 * first start (and reused after), with a warning since clients cannot verify it.
 */
export async function loadTlsMaterial(opts: {
  certFile: string | null;
  keyFile: string | null;
  dataDir: string;
  domain: string;
  log: Logger;
}): Promise<TlsMaterial> {
  if (opts.certFile && opts.keyFile) {
    const cert = readFileSync(opts.certFile, 'utf8');
    const key = readFileSync(opts.keyFile, 'utf8');
    return { cert, key, fingerprint: fingerprintOf(cert), selfSigned: false, source: opts.certFile };
  }
  const dir = join(opts.dataDir, 'tls');
  const certPath = join(dir, `${opts.domain}.crt`);
  const keyPath = join(dir, `${opts.domain}.key`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  // Several processes may share a data directory (a local cluster): one generates, the others wait.
  const lockDir = join(dir, '.generating');
  let generator = false;
  if (!existsSync(certPath) || !existsSync(keyPath)) {
    try {
      mkdirSync(lockDir);
      generator = true;
    } catch {
      for (let i = 0; i < 100 && existsSync(lockDir); i++) await new Promise((r) => setTimeout(r, 100));
      // A generator that died leaves its lock behind: take over.
      generator = !existsSync(certPath) || !existsSync(keyPath);
    }
  }
  if (generator) {
    // Loaded only to make a certificate (first start), not held by every server (decision 0035).
    const { generate } = await import('selfsigned');
    const pems = await generate([{ name: 'commonName', value: opts.domain }], {
      keySize: 2048,
      notAfterDate: new Date(Date.now() + 825 * 86400_000),
      algorithm: 'sha256',
      extensions: [
        { name: 'basicConstraints', cA: false },
        { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
        { name: 'extKeyUsage', serverAuth: true },
        // RFC 6120 §13.7.1.2: the domain as a DNS subjectAltName (XmppAddr is optional).
        { name: 'subjectAltName', altNames: [{ type: 2, value: opts.domain }] },
      ],
    });
    writeFileSync(keyPath, pems.private, { mode: 0o600 });
    writeFileSync(certPath, pems.cert, { mode: 0o644 });
    rmSync(lockDir, { recursive: true, force: true });
    opts.log.warn('generated a self-signed TLS certificate; clients will not be able to verify it. Set PARLEY_TLS_CERT and PARLEY_TLS_KEY for production.', {
      cert: certPath,
    });
  }
  const cert = readFileSync(certPath, 'utf8');
  const key = readFileSync(keyPath, 'utf8');
  return { cert, key, fingerprint: fingerprintOf(cert), selfSigned: true, source: certPath };
}

function fingerprintOf(certPem: string): string {
  return new X509Certificate(certPem).fingerprint256;
}
