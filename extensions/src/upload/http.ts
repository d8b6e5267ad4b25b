// XEP-0363 §5: the HTTP side of uploads on the edge's HTTP port. PUT fills a slot once with exactly
// the announced size and type; the body is staged on local disk and checked (checks.ts) before the
// storage (local disk or an S3-compatible bucket) keeps it; GET serves the file with headers that
// keep browsers from running it.
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import type { HttpEnv } from '@parley/ext';
import type { UploadSlot } from '@parley/store';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Counter } from 'prom-client';
import { checkUpload, HEAD_BYTES } from './checks.ts';
import { cleanFilename, secretMatches, type UploadSettings } from './slot.ts';
import { stagedPath, type UploadStorage } from './storage.ts';

/** Shown inline by browsers only when it cannot carry script (no SVG, no HTML). */
const INLINE = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp', 'image/avif']);
const ID = /^[0-9a-f]{32}$/;

function safeHeaders(reply: FastifyReply, slot: UploadSlot): void {
  const inline = INLINE.has(slot.contentType);
  reply.header('Content-Type', slot.contentType);
  reply.header('Content-Length', String(slot.size));
  reply.header('X-Content-Type-Options', 'nosniff');
  reply.header('Content-Security-Policy', "default-src 'none'; frame-ancestors 'none'; sandbox");
  reply.header('Referrer-Policy', 'no-referrer');
  reply.header('Cache-Control', 'private, max-age=86400');
  const ascii = slot.filename.replace(/[^\x20-\x7e]|["\\]/g, '_');
  reply.header('Content-Disposition', `${inline ? 'inline' : 'attachment'}; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(slot.filename)}`);
}

/** Passes at most `max` bytes, hashing them and keeping the first ones for the type checks. */
function measured(max: number): Transform & { head(): Buffer; sha256(): string } {
  let seen = 0;
  const hash = createHash('sha256');
  const head: Buffer[] = [];
  const t = new Transform({
    transform(chunk: Buffer, _enc, done) {
      if (seen < HEAD_BYTES) head.push(chunk.subarray(0, HEAD_BYTES - seen));
      seen += chunk.length;
      if (seen > max) return done(Object.assign(new Error('body larger than the slot'), { tooLarge: true }));
      hash.update(chunk);
      done(null, chunk);
    },
  });
  return Object.assign(t, { head: () => Buffer.concat(head), sha256: () => hash.digest('hex') });
}

/** `listening` is told the port once the server listens (slot URLs use it when no public URL is set). */
export async function uploadRoutes(
  app: FastifyInstance,
  env: HttpEnv,
  s: UploadSettings,
  storage: UploadStorage,
  refusals: Counter<'reason'>,
  listening?: (port: number) => void,
): Promise<void> {
  await storage.init();
  const now = () => new Date((s.now ?? Date.now)());
  // The body is streamed to disk here, whatever its type: no parser buffers it.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_req, payload, done) => done(null, payload));

  async function live(id: string, name: string): Promise<UploadSlot | null> {
    if (!ID.test(id)) return null;
    const slot = await env.store.uploads.get(id);
    if (!slot || cleanFilename(name) !== slot.filename) return null;
    return slot;
  }

  app.put<{ Params: { id: string; name: string } }>('/upload/:id/:name', async (req, reply) => {
    const slot = await live(req.params.id, req.params.name);
    const auth = req.headers.authorization ?? '';
    const presented = auth.startsWith('Bearer ') ? auth.slice(7) : '';
    // An unknown slot and a wrong secret look the same.
    if (!slot || !presented || !secretMatches(presented, slot.secretHash)) return reply.code(403).send('not allowed\n');
    if (slot.uploadedAt !== null) return reply.code(409).send('this slot was already used\n');
    if (slot.putExpiresAt <= now()) return reply.code(403).send('this slot expired\n');
    // §5: the announced size and type must be what the slot was granted for.
    const length = req.headers['content-length'];
    if (length === undefined) return reply.code(411).send('Content-Length is required\n');
    if (Number(length) !== slot.size) return reply.code(Number(length) > slot.size ? 413 : 400).send('Content-Length differs from the slot size\n');
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (type !== slot.contentType) return reply.code(400).send('Content-Type differs from the slot\n');
    const partial = stagedPath(storage.staging, slot.id);
    const body = measured(slot.size);
    try {
      await pipeline(req.body as NodeJS.ReadableStream, body, createWriteStream(partial, { flags: 'wx', mode: 0o600 }));
    } catch (err) {
      await rm(partial, { force: true });
      if ((err as { tooLarge?: boolean }).tooLarge) return reply.code(413).send('body larger than the slot\n');
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return reply.code(409).send('an upload to this slot is under way\n');
      env.log.warn('upload failed', { err: (err as Error).message, slot: slot.id });
      return reply.code(400).send('the upload did not complete\n');
    }
    // The content rules of the abuse issue, before anything is kept (REQUIREMENTS.md, Threats).
    const verdict = await checkUpload(s.rules, slot.contentType, body.head(), partial);
    if (!verdict.ok) {
      await rm(partial, { force: true });
      refusals.inc({ reason: verdict.metric });
      env.log.info('upload refused by the content checks', { slot: slot.id, owner: slot.owner, type: slot.contentType, reason: verdict.metric, scanner: verdict.scanner });
      return reply.code(verdict.status).send(`${verdict.reason}\n`);
    }
    try {
      await storage.keep(slot.id, partial, { size: slot.size, contentType: slot.contentType, sha256: body.sha256() });
    } catch (err) {
      await rm(partial, { force: true });
      env.log.warn('upload could not be stored', { err: (err as Error).message, slot: slot.id });
      return reply.code(503).send('the file could not be stored; try again later\n');
    }
    if (!(await env.store.uploads.markUploaded(slot.id, now()))) {
      await storage.remove(slot.id);
      return reply.code(409).send('this slot was already used or expired\n');
    }
    return reply.code(201).send();
  });

  app.get<{ Params: { id: string; name: string } }>('/upload/:id/:name', async (req, reply) => {
    const slot = await live(req.params.id, req.params.name);
    if (!slot || slot.uploadedAt === null || slot.fileExpiresAt <= now()) return reply.code(404).send('not found\n');
    if (req.method === 'HEAD') {
      safeHeaders(reply, slot);
      return reply.send();
    }
    let file: Awaited<ReturnType<UploadStorage['open']>>;
    try {
      file = await storage.open(slot.id);
    } catch (err) {
      env.log.warn('upload could not be read', { err: (err as Error).message, slot: slot.id });
      return reply.code(503).send('the file cannot be read now; try again later\n');
    }
    if (!file) return reply.code(404).send('not found\n');
    safeHeaders(reply, slot);
    return reply.send(file);
  });

  // Expired files and never-filled slots are removed every minute (each slot once, whichever edge gets it).
  const reap = async () => {
    try {
      for (;;) {
        const gone = await env.store.uploads.reapExpired(now(), 100);
        await Promise.all(gone.map((g) => storage.remove(g.id).then(() => rm(stagedPath(storage.staging, g.id), { force: true }))));
        if (gone.length < 100) return;
      }
    } catch (err) {
      env.log.warn('upload cleanup failed', { err: (err as Error).message });
    }
  };
  const timer = setInterval(reap, 60_000);
  timer.unref();
  app.addHook('onClose', async () => clearInterval(timer));
  app.addHook('onListen', async () => {
    const a = app.server.address();
    if (typeof a === 'object' && a) listening?.(a.port);
  });
  s.onReaper?.(reap);
}
