import { createHash, createHmac, pbkdf2, randomBytes, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import { JidError, prepareOpaqueString } from '@parley/jid';
import { DEFAULT_ITERATIONS, type ScramCredential, type ScramHash } from './types.ts';

const pbkdf2Async = promisify(pbkdf2);

const NODE_HASH: Record<ScramHash, string> = { 'SHA-1': 'sha1', 'SHA-256': 'sha256', 'SHA-512': 'sha512' };
export const HASH_LENGTH: Record<ScramHash, number> = { 'SHA-1': 20, 'SHA-256': 32, 'SHA-512': 64 };
const ALL_HASHES: readonly ScramHash[] = ['SHA-512', 'SHA-256', 'SHA-1'];
const SALT_LENGTH = 16;

export function hmac(hash: ScramHash, key: Buffer, data: string | Buffer): Buffer {
  return createHmac(NODE_HASH[hash], key).update(data).digest();
}

export function digest(hash: ScramHash, data: Buffer): Buffer {
  return createHash(NODE_HASH[hash]).update(data).digest();
}

/** RFC 5802 §2.2 Hi() is PBKDF2 with HMAC and dkLen = hash length. */
export function saltedPassword(hash: ScramHash, password: string, salt: Buffer, iterations: number): Promise<Buffer> {
  return pbkdf2Async(password, salt, iterations, HASH_LENGTH[hash], NODE_HASH[hash]);
}

export function clientKeyOf(hash: ScramHash, salted: Buffer): Buffer {
  return hmac(hash, salted, 'Client Key');
}

/** Equal-length constant-time comparison; a length mismatch is not secret. */
export function safeEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** RFC 8265 §4: passwords are OpaqueString-prepared (the successor of SASLprep, RFC 4013). */
export function preparePassword(password: string): string {
  try {
    return prepareOpaqueString(password);
  } catch (err) {
    if (err instanceof JidError) throw new RangeError(err.message);
    throw err;
  }
}

export async function deriveScramCredential(
  password: string,
  hash: ScramHash,
  opts: { iterations?: number; salt?: Buffer } = {},
): Promise<ScramCredential> {
  const iterations = opts.iterations ?? DEFAULT_ITERATIONS;
  // RFC 5802 §5.1 / RFC 7677 §4: at least 4096 iterations.
  if (!Number.isInteger(iterations) || iterations < 4096 || iterations > 10_000_000) {
    throw new RangeError('iterations must be an integer from 4096 to 10000000');
  }
  const salt = opts.salt ?? randomBytes(SALT_LENGTH);
  const salted = await saltedPassword(hash, preparePassword(password), salt, iterations);
  return {
    hash,
    salt: salt.toString('base64'),
    iterations,
    storedKey: digest(hash, clientKeyOf(hash, salted)).toString('base64'),
    serverKey: hmac(hash, salted, 'Server Key').toString('base64'),
  };
}

export async function deriveAllCredentials(password: string, iterations?: number): Promise<ScramCredential[]> {
  const opts = iterations === undefined ? {} : { iterations };
  return Promise.all(ALL_HASHES.map((hash) => deriveScramCredential(password, hash, opts)));
}

export interface DecodedCredential {
  salt: Buffer;
  iterations: number;
  storedKey: Buffer;
  serverKey: Buffer;
  /** true when made up for an unknown user, or the account is locked: never verifies */
  fake: boolean;
}

export function decodeCredential(cred: ScramCredential, hash: ScramHash): DecodedCredential | null {
  if (cred.hash !== hash || !Number.isInteger(cred.iterations) || cred.iterations < 1) return null;
  const storedKey = Buffer.from(cred.storedKey, 'base64');
  const serverKey = Buffer.from(cred.serverKey, 'base64');
  const salt = Buffer.from(cred.salt, 'base64');
  if (storedKey.length !== HASH_LENGTH[hash] || serverKey.length !== HASH_LENGTH[hash] || salt.length === 0) {
    return null;
  }
  return { salt, iterations: cred.iterations, storedKey, serverKey, fake: cred.locked === true };
}

/**
 * Stand-in for an unknown user: the salt is a keyed hash of the name, so repeated attempts see the same
 * salt, and the keys are random, so no proof can match (account existence is never revealed).
 */
export function fakeCredential(secret: Buffer, username: string, hash: ScramHash, iterations: number): DecodedCredential {
  const salt = createHmac('sha256', secret).update(`scram-salt\0${hash}\0${username}`).digest().subarray(0, SALT_LENGTH);
  return {
    salt,
    iterations,
    storedKey: randomBytes(HASH_LENGTH[hash]),
    serverKey: randomBytes(HASH_LENGTH[hash]),
    fake: true,
  };
}
