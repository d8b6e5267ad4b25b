// Client side of SASL PLAIN (RFC 4616) and SCRAM-SHA-1 / SCRAM-SHA-256 (RFC 5802, RFC 7677),
// without channel binding ("n,," GS2 header), as a load generator needs nothing more.
import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';

export type Mechanism = 'PLAIN' | 'SCRAM-SHA-1' | 'SCRAM-SHA-256';
export const MECHANISMS_BY_STRENGTH: readonly Mechanism[] = ['SCRAM-SHA-256', 'SCRAM-SHA-1', 'PLAIN'];

/** The mechanism to use: the requested one if the server offers it, else the strongest offered. */
export function chooseMechanism(offered: readonly string[], wanted: Mechanism | 'auto'): Mechanism | undefined {
  if (wanted !== 'auto') return offered.includes(wanted) ? wanted : undefined;
  return MECHANISMS_BY_STRENGTH.find((m) => offered.includes(m));
}

export interface SaslStep {
  /** Bytes to send (already decoded; the caller base64-encodes them). */
  response?: Buffer;
  done?: boolean;
}

export interface SaslClient {
  readonly mechanism: Mechanism;
  initial(): Buffer;
  challenge(data: Buffer): Buffer;
  /** Checks the server's additional data on <success/>; throws if the server is not authentic. */
  success(data: Buffer): void;
}

export function plainClient(username: string, password: string): SaslClient {
  return {
    mechanism: 'PLAIN',
    initial: () => Buffer.from(`\0${username}\0${password}`, 'utf8'),
    challenge: () => {
      throw new Error('PLAIN takes no challenge');
    },
    success: () => {},
  };
}

// RFC 5802 §5.1: "=" and "," in a username are escaped as =3D and =2C.
function saslName(name: string): string {
  return name.replace(/=/g, '=3D').replace(/,/g, '=2C');
}

function parseAttrs(msg: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of msg.split(',')) {
    const eq = part.indexOf('=');
    if (eq === 1) out.set(part[0]!, part.slice(2));
  }
  return out;
}

function xor(a: Buffer, b: Buffer): Buffer {
  const out = Buffer.alloc(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! ^ b[i]!;
  return out;
}

/**
 * Caches salted passwords by (hash, password, salt, iterations): with thousands of users sharing
 * a server-side iteration count, PBKDF2 would otherwise dominate the generator's CPU in `login`.
 */
const saltedCache = new Map<string, Buffer>();

export function scramClient(
  mechanism: 'SCRAM-SHA-1' | 'SCRAM-SHA-256',
  username: string,
  password: string,
  nonce: string = randomBytes(18).toString('base64'),
): SaslClient {
  const hash = mechanism === 'SCRAM-SHA-1' ? 'sha1' : 'sha256';
  const keyLen = hash === 'sha1' ? 20 : 32;
  const gs2 = 'n,,';
  const clientFirstBare = `n=${saslName(username)},r=${nonce}`;
  let serverSignature: Buffer | undefined;
  return {
    mechanism,
    initial: () => Buffer.from(gs2 + clientFirstBare, 'utf8'),
    challenge(data) {
      const serverFirst = data.toString('utf8');
      const a = parseAttrs(serverFirst);
      const r = a.get('r');
      const s = a.get('s');
      const i = Number(a.get('i'));
      if (a.has('m')) throw new Error('SCRAM: unsupported mandatory extension');
      // RFC 5802 §5.1: the server nonce must start with the client's.
      if (!r?.startsWith(nonce) || !s || !Number.isInteger(i) || i < 1) {
        throw new Error('SCRAM: malformed server-first-message');
      }
      const salt = Buffer.from(s, 'base64');
      const cacheKey = `${hash}\0${password}\0${s}\0${i}`;
      let salted = saltedCache.get(cacheKey);
      if (!salted) {
        salted = pbkdf2Sync(password.normalize('NFKC'), salt, i, keyLen, hash);
        if (saltedCache.size > 100_000) saltedCache.clear();
        saltedCache.set(cacheKey, salted);
      }
      const clientKey = createHmac(hash, salted).update('Client Key').digest();
      const storedKey = createHash(hash).update(clientKey).digest();
      const clientFinalNoProof = `c=${Buffer.from(gs2).toString('base64')},r=${r}`;
      const authMessage = `${clientFirstBare},${serverFirst},${clientFinalNoProof}`;
      const clientSignature = createHmac(hash, storedKey).update(authMessage).digest();
      const proof = xor(clientKey, clientSignature);
      const serverKey = createHmac(hash, salted).update('Server Key').digest();
      serverSignature = createHmac(hash, serverKey).update(authMessage).digest();
      return Buffer.from(`${clientFinalNoProof},p=${proof.toString('base64')}`, 'utf8');
    },
    success(data) {
      // RFC 5802 §5.1: the client must verify the server signature (mutual authentication).
      const a = parseAttrs(data.toString('utf8'));
      if (a.has('e')) throw new Error(`SCRAM: server error ${a.get('e')}`);
      const v = a.get('v');
      if (!serverSignature || !v) throw new Error('SCRAM: missing server signature');
      const got = Buffer.from(v, 'base64');
      if (got.length !== serverSignature.length || !timingSafeEqual(got, serverSignature)) {
        throw new Error('SCRAM: server signature mismatch');
      }
    },
  };
}

export function saslClient(mechanism: Mechanism, username: string, password: string): SaslClient {
  return mechanism === 'PLAIN' ? plainClient(username, password) : scramClient(mechanism, username, password);
}
