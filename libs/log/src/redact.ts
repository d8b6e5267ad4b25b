// What never reaches a log line: secrets by field name, and the password part of URLs with credentials
// (nats://user:pass@host, postgres://user:pass@host) wherever such a URL shows up in a string field, a
// message or an error. This runs as pino's `formatters.log` (and on child bindings) rather than pino's
// `redact` paths: `*.password`-style wildcard paths cost ~24 µs per line (docs/decisions/0008).
import { stdSerializers } from 'pino';

export const CENSORED = '[redacted]';

/**
 * Field names whose values are secrets, at the top level and in objects nested up to two deep
 * (`user.password`, `req.headers.authorization`). `key` alone is not here on purpose: the actor
 * runtimes log the actor key (a JID) under `key`; secret keys are named (`privateKey`, `apiKey`, …).
 */
export const SECRET_FIELDS = [
  'password',
  'pass',
  'passwd',
  'secret',
  'token',
  'accessToken',
  'refreshToken',
  'apiKey',
  'privateKey',
  'secretKey',
  'clientSecret',
  'credential',
  'credentials',
  // HTTP header names as Node spells them (lower case) and as people write them.
  'authorization',
  'Authorization',
  'proxy-authorization',
  'cookie',
  'Cookie',
  'set-cookie',
  // SASL (RFC 4422) payloads and SCRAM (RFC 5802 §3) key material: each is enough to log in.
  'saslPayload',
  'initialResponse',
  'saltedPassword',
  'clientKey',
  'storedKey',
  'serverKey',
  'clientProof',
] as const;

const secret: ReadonlySet<string> = new Set(SECRET_FIELDS);
const MAX_DEPTH = 3;

// RFC 3986 §3.2.1: userinfo is `user:password@`; '@', '/' and whitespace cannot appear unencoded in it.
const URL_CREDENTIALS = /\b([a-z][a-z0-9+.-]*:\/\/[^\s/@:]*):[^\s/@]*@/gi;

/** `nats://u:p@h,nats://v:q@k` → `nats://u:[redacted]@h,nats://v:[redacted]@k`. */
export function maskUrlCredentials(s: string): string {
  if (!s.includes('@')) return s;
  return s.replace(URL_CREDENTIALS, `$1:${CENSORED}@`);
}

/**
 * The fields of one line (or a child's bindings) as they may be written: secrets censored, URL
 * passwords masked, Errors under any name serialized (type, message, stack, own properties such as
 * `code`). The caller's objects are copied only where something changes.
 */
export function scrubFields(obj: Record<string, unknown>): Record<string, unknown> {
  return scrubObject(obj, 1);
}

function scrubObject(obj: Record<string, unknown>, depth: number): Record<string, unknown> {
  let out = obj;
  for (const k in obj) {
    const v = obj[k];
    const w = secret.has(k) ? CENSORED : scrubValue(v, depth);
    if (w !== v) {
      if (out === obj) out = { ...obj };
      out[k] = w;
    }
  }
  return out;
}

function scrubValue(v: unknown, depth: number): unknown {
  if (typeof v === 'string') return maskUrlCredentials(v);
  if (typeof v !== 'object' || v === null) return v;
  if (v instanceof Error) {
    const e = stdSerializers.err(v);
    e.message = maskUrlCredentials(e.message);
    e.stack = maskUrlCredentials(e.stack);
    return depth < MAX_DEPTH ? scrubObject(e as unknown as Record<string, unknown>, depth + 1) : e;
  }
  if (depth >= MAX_DEPTH || Array.isArray(v) || Object.getPrototypeOf(v) !== Object.prototype) return v;
  return scrubObject(v as Record<string, unknown>, depth + 1);
}
