// XEP-0363 §4: granting an upload slot. The PUT secret is random per slot; only its SHA-256 is
// stored, so any edge can check a PUT against the database without a shared signing key, and a
// leaked row cannot be turned into an upload.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IqOutcome, SessionIqRequest } from '@parley/ext';
import { xml } from '@parley/xml';
import type { Registry } from 'prom-client';
import { activeAllowed, type ContentRules } from './checks.ts';
import type { S3Settings } from './s3.ts';

export const NS_UPLOAD = 'urn:xmpp:http:upload:0';

export interface UploadSettings {
  maxFileBytes: number;
  quotaBytes: number;
  expiryHours: number;
  /** Allowed types ('image/*' matches a family); null: any. */
  contentTypes: string[] | null;
  /** Where files live on disk; with `s3`, where PUT bodies are staged while they are checked. */
  dir: string;
  /** An S3-compatible bucket instead of `dir` (docs/decisions/0019). */
  s3?: S3Settings | null;
  /** What a PUT body is checked for before it is kept (checks.ts). */
  rules: ContentRules;
  registry?: Registry;
  /**
   * Base URL of the HTTP port as clients reach it, without a trailing slash; a function of the port
   * the edge actually listens on when none is configured (port 0 in tests).
   */
  publicUrl: string | ((listeningPort: number | undefined) => string);
  /** How long a granted slot waits for its PUT. */
  putWindowMs?: number;
  now?: () => number;
  /** Given the cleanup function once routes are up (tests run it instead of waiting a minute). */
  onReaper?: (reap: () => Promise<void>) => void;
}

export const hashSecret = (secret: string) => createHash('sha256').update(secret).digest('hex');

/** Constant-time comparison of a presented secret with the stored hash. */
export function secretMatches(presented: string, storedHash: string): boolean {
  const a = Buffer.from(hashSecret(presented), 'hex');
  const b = Buffer.from(storedHash, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}

/** A file name safe to echo in a URL and a Content-Disposition: no path, no control characters. */
export function cleanFilename(name: string): string | null {
  const base = name.split(/[\\/]/).pop() ?? '';
  if (base === '' || base === '.' || base === '..' || base.length > 255 || /[\u0000-\u001f\u007f]/.test(base)) return null;
  return base;
}

export function typeAllowed(type: string, allowed: string[] | null): boolean {
  if (!/^[a-z0-9.+-]+\/[a-z0-9.+-]+$/i.test(type)) return false;
  if (allowed === null) return true;
  const t = type.toLowerCase();
  return allowed.some((a) => (a.endsWith('/*') ? t.startsWith(a.slice(0, -1)) : t === a));
}

export const slotPath = (publicUrl: string, id: string, filename: string) => `${publicUrl}/upload/${id}/${encodeURIComponent(filename)}`;

/** §4: a slot for an authenticated local user, within size, type and quota; errors as §4.2 shows. */
export async function requestSlot(ctx: SessionIqRequest, s: UploadSettings, listeningPort: number | undefined): Promise<IqOutcome> {
  if (ctx.to.local !== null) return { error: 'service-unavailable' };
  // Only this server's own accounts get slots (every c2s sender is authenticated by then).
  if (ctx.from.domain !== ctx.domain || ctx.from.local === null) return { error: 'forbidden' };
  const req = ctx.payload;
  const filename = cleanFilename(req.attr('filename') ?? '');
  const sizeText = req.attr('size') ?? '';
  const size = /^\d{1,15}$/.test(sizeText) ? Number(sizeText) : Number.NaN;
  if (filename === null) return { error: 'bad-request', text: 'a file name without a path is needed' };
  if (!Number.isSafeInteger(size) || size <= 0) return { error: 'bad-request', text: 'size must be a positive integer' };
  // §4.2: a file that is too large names the limit.
  if (size > s.maxFileBytes) {
    return { error: 'not-acceptable', text: `the file is larger than ${s.maxFileBytes} bytes`, appCondition: xml('file-too-large', { xmlns: NS_UPLOAD }, xml('max-file-size', {}, String(s.maxFileBytes))) };
  }
  const contentType = (req.attr('content-type') ?? 'application/octet-stream').toLowerCase();
  if (!typeAllowed(contentType, s.contentTypes)) return { error: 'not-acceptable', text: `files of type ${contentType} cannot be uploaded here` };
  // Refused before any byte is sent; the PUT checks it again (checks.ts).
  if (!activeAllowed(contentType, s.rules.activeTypes)) return { error: 'not-acceptable', text: `files of type ${contentType} can run script in a browser and are not accepted here` };
  const now = (s.now ?? Date.now)();
  const id = randomBytes(16).toString('hex');
  const secret = randomBytes(32).toString('base64url');
  const granted = await ctx.env.store.uploads.create(
    {
      id,
      owner: ctx.from.bareString(),
      filename,
      size,
      contentType,
      secretHash: hashSecret(secret),
      putExpiresAt: new Date(now + (s.putWindowMs ?? 5 * 60_000)),
      fileExpiresAt: new Date(now + s.expiryHours * 3_600_000),
    },
    s.quotaBytes,
    new Date(now),
  );
  // §4.2: a quota reached is a temporary condition (type wait).
  if (!granted) return { error: 'resource-constraint', text: `your uploads would exceed ${s.quotaBytes} bytes; older files expire after ${s.expiryHours} hours` };
  const base = typeof s.publicUrl === 'string' ? s.publicUrl : s.publicUrl(listeningPort);
  const url = slotPath(base, id, filename);
  // §4.1: the PUT carries the secret in an allowed header (Authorization), so the GET URL holds none.
  return {
    result: [xml('slot', { xmlns: NS_UPLOAD }, xml('put', { url }, xml('header', { name: 'Authorization' }, `Bearer ${secret}`)), xml('get', { url }))],
  };
}
