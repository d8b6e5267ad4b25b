// XEP-0363: slots (size, type, quota, who), the HTTP side (secret, size, type, reuse, expiry,
// safe headers), the content checks of a PUT, and the S3-compatible store (s3rver), on an
// Postgres scratch schema and fastify's inject.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type IqOutcome, loadModules, type SessionIqRequest } from '@parley/ext';
import { parseJid } from '@parley/jid';
import { silentLogger } from '@parley/log';
import { createStore, migrate, openScratchPostgres, type Store } from '@parley/store';
import { xml } from '@parley/xml';
import Fastify, { type FastifyInstance } from 'fastify';
import { Registry } from 'prom-client';
import { type LocalS3, startLocalS3 } from '../../../tests/harness/s3.ts';
import { findsWords, looksLikeMarkup, typeMatches } from './checks.ts';
import { NS_UPLOAD, upload } from './index.ts';
import { objectUrl } from './s3.ts';
import type { UploadSettings } from './slot.ts';

const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]);
/** A scanner as clamdscan behaves: exit 1 and a FOUND line for a signature, 0 otherwise; "SLOW" never answers. */
const SCANNER = `#!/bin/sh
if grep -q EICAR-TEST "$1"; then echo "$1: Eicar-Test-Signature FOUND"; exit 1; fi
if grep -q SLOW "$1"; then exec sleep 30; fi
exit 0
`;

const DOMAIN = 'example.com';
let store: Store;
let dir: string;
let app: FastifyInstance;
let reap: () => Promise<void>;
const clock = { t: Date.parse('2030-01-01T00:00:00Z') };
let settings: UploadSettings;
let loaded: ReturnType<typeof loadModules>;
const registry = new Registry();
/** The same service on an S3-compatible bucket. */
let s3: LocalS3;
let s3App: FastifyInstance;
let s3Loaded: ReturnType<typeof loadModules>;
let s3Reap: () => Promise<void>;

before(async () => {
  const sql = await openScratchPostgres();
  await migrate(sql);
  store = createStore(sql);
  dir = await mkdtemp(join(tmpdir(), 'parley-upload-'));
  await writeFile(join(dir, 'scanner.sh'), SCANNER);
  await chmod(join(dir, 'scanner.sh'), 0o700);
  settings = {
    maxFileBytes: 1000,
    quotaBytes: 1500,
    expiryHours: 1,
    contentTypes: ['image/*', 'text/*', 'application/pdf'],
    dir: join(dir, 'files'),
    publicUrl: 'https://files.example.com',
    rules: { activeTypes: ['text/html'], words: ['frobnicate', 'blorp'], scanCommand: [join(dir, 'scanner.sh')], scanTimeoutMs: 2000 },
    registry,
    now: () => clock.t,
    onReaper: (r) => {
      reap = r;
    },
  };
  loaded = loadModules([upload(settings)]);
  app = Fastify();
  await loaded.edge.http(app, { store, log: silentLogger });
  await app.ready();

  s3 = await startLocalS3(join(dir, 's3'));
  s3Loaded = loadModules([
    upload({
      ...settings,
      dir: join(dir, 's3-staging'),
      s3: s3.settings,
      registry: undefined,
      onReaper: (r) => {
        s3Reap = r;
      },
    }),
  ]);
  s3App = Fastify();
  await s3Loaded.edge.http(s3App, { store, log: silentLogger });
  await s3App.ready();
});
after(async () => {
  await app?.close();
  await s3App?.close();
  await s3?.stop();
  await store?.close();
  await rm(dir, { recursive: true, force: true });
});

function ask(from: string, attrs: Record<string, string>, to = DOMAIN, modules = loaded): Promise<IqOutcome> {
  const handler = modules.session.iq.find('server', 'get', NS_UPLOAD, 'request')!;
  const payload = xml('request', { xmlns: NS_UPLOAD, ...attrs });
  const ctx: SessionIqRequest = { domain: DOMAIN, from: parseJid(from), to: parseJid(to), payload, iq: xml('iq', { type: 'get' }, payload), env: { store } as never, disco: loaded.disco, discoNodes: loaded.session.discoNodes };
  return Promise.resolve(handler.handle(ctx));
}

async function slot(from: string, filename: string, size: number, type: string, modules = loaded) {
  const out = await ask(from, { filename, size: String(size), 'content-type': type }, DOMAIN, modules);
  if (!('result' in out)) assert.fail(`no slot: ${out.error} ${out.text}`);
  const s = out.result[0]!;
  const put = s.getChild('put')!;
  const path = new URL(put.attr('url')!).pathname;
  return { path, auth: put.getChildText('header')!, get: s.getChild('get')!.attr('url')! };
}

const put = (path: string, auth: string | undefined, body: string | Buffer, type: string, length = Buffer.byteLength(body), to = app) =>
  to.inject({ method: 'PUT', url: path, payload: body, headers: { 'content-type': type, 'content-length': String(length), ...(auth ? { authorization: auth } : {}) } });

describe('XEP-0363 upload slots', () => {
  test('the server advertises the service with its largest file (§2)', async () => {
    assert.ok(loaded.disco('server').features.includes(NS_UPLOAD));
    assert.equal(loaded.disco('server').identities[0]?.attr('category'), 'store');
    const extended = await loaded.session.discoNodes[0]!.info!({ to: parseJid(DOMAIN) } as SessionIqRequest, undefined);
    assert.match(extended![0]!.toString(), /max-file-size.*<value>1000<\/value>/);
  });

  test('too large, a refused type, a path in the name, a bad size and other domains are refused (§4.2)', async () => {
    const big = await ask('ann@example.com/a', { filename: 'a.png', size: '1001', 'content-type': 'image/png' });
    assert.ok('error' in big && big.error === 'not-acceptable');
    assert.match(big.appCondition!.toString(), /<file-too-large xmlns='urn:xmpp:http:upload:0'><max-file-size>1000<\/max-file-size>/);
    const type = await ask('ann@example.com/a', { filename: 'a.exe', size: '10', 'content-type': 'application/x-msdownload' });
    assert.ok('error' in type && type.error === 'not-acceptable');
    const path = await ask('ann@example.com/a', { filename: '..', size: '10', 'content-type': 'text/plain' });
    assert.ok('error' in path && path.error === 'bad-request');
    const size = await ask('ann@example.com/a', { filename: 'a.txt', size: '-3', 'content-type': 'text/plain' });
    assert.ok('error' in size && size.error === 'bad-request');
    const remote = await ask('eve@elsewhere.example/x', { filename: 'a.txt', size: '3', 'content-type': 'text/plain' });
    assert.ok('error' in remote && remote.error === 'forbidden');
  });

  test('the per-user quota counts live slots and is a wait condition when reached', async () => {
    await slot('quota@example.com/a', 'one.txt', 1000, 'text/plain');
    const over = await ask('quota@example.com/a', { filename: 'two.txt', size: '600', 'content-type': 'text/plain' });
    assert.ok('error' in over && over.error === 'resource-constraint');
    await slot('other@example.com/a', 'two.txt', 600, 'text/plain');
  });
});

describe('XEP-0363 HTTP side', () => {
  test('a PUT with the secret, exact size and type stores the file once; GET serves it with safe headers', async () => {
    const s = await slot('ann@example.com/a', 'notes.txt', 5, 'text/plain');
    assert.match(s.get, /^https:\/\/files\.example\.com\/upload\/[0-9a-f]{32}\/notes\.txt$/);
    assert.equal((await put(s.path, undefined, 'hello', 'text/plain')).statusCode, 403, 'no secret');
    assert.equal((await put(s.path, 'Bearer wrong', 'hello', 'text/plain')).statusCode, 403, 'wrong secret');
    assert.equal((await put(s.path, s.auth, 'hello', 'text/csv')).statusCode, 400, 'another type');
    assert.equal((await put(s.path, s.auth, 'hello!', 'text/plain')).statusCode, 413, 'larger than the slot');
    assert.equal((await app.inject({ method: 'GET', url: s.path })).statusCode, 404, 'nothing before the PUT');
    assert.equal((await put(s.path, s.auth, 'hello', 'text/plain')).statusCode, 201);
    assert.equal((await put(s.path, s.auth, 'hello', 'text/plain')).statusCode, 409, 'a slot is filled once');
    const got = await app.inject({ method: 'GET', url: s.path });
    assert.equal(got.statusCode, 200);
    assert.equal(got.body, 'hello');
    assert.equal(got.headers['x-content-type-options'], 'nosniff');
    assert.match(String(got.headers['content-security-policy']), /default-src 'none'.*sandbox/);
    assert.match(String(got.headers['content-disposition']), /^attachment; filename="notes.txt"/);
    assert.equal(got.headers['content-type'], 'text/plain');
    assert.equal((await app.inject({ method: 'GET', url: s.path.replace('notes.txt', 'other.txt') })).statusCode, 404, 'the name is part of the URL');
  });

  test('HTML (an allowed active type) is served as an attachment, a PNG inline, both sandboxed', async () => {
    const h = await slot('ann@example.com/a', 'x.html', 20, 'text/html');
    assert.equal((await put(h.path, h.auth, '<script>1</script>xx', 'text/html')).statusCode, 201);
    assert.match(String((await app.inject({ method: 'GET', url: h.path })).headers['content-disposition']), /^attachment/);
    const p = await slot('ann@example.com/a', 'p.png', PNG.length, 'image/png');
    assert.equal((await put(p.path, p.auth, PNG, 'image/png')).statusCode, 201);
    const got = await app.inject({ method: 'GET', url: p.path });
    assert.match(String(got.headers['content-disposition']), /^inline/);
    assert.equal(got.headers['x-content-type-options'], 'nosniff');
  });

  test('a slot not filled in its window is refused, and expired files are deleted by the cleanup', async () => {
    const late = await slot('exp@example.com/a', 'late.txt', 3, 'text/plain');
    const kept = await slot('exp@example.com/a', 'kept.txt', 3, 'text/plain');
    assert.equal((await put(kept.path, kept.auth, 'abc', 'text/plain')).statusCode, 201);
    const id = kept.path.split('/')[2]!;
    assert.ok(existsSync(join(settings.dir, id)));
    clock.t += 10 * 60_000;
    assert.equal((await put(late.path, late.auth, 'abc', 'text/plain')).statusCode, 403);
    assert.equal((await app.inject({ method: 'GET', url: kept.path })).statusCode, 200);
    clock.t += 2 * 3_600_000;
    assert.equal((await app.inject({ method: 'GET', url: kept.path })).statusCode, 404, 'expired');
    await reap();
    assert.equal(existsSync(join(settings.dir, id)), false, 'the file is gone');
    assert.equal(await store.uploads.get(id), null);
  });
});

const refusedCount = async (reason: string) => (await registry.getSingleMetric('parley_upload_refused_total')!.get()).values.find((v) => v.labels.reason === reason)?.value ?? 0;

describe('XEP-0363 content checks before a file is kept', () => {
  test('an active type is refused at the slot unless allowed (SVG here), and HTML allowed is never inline', async () => {
    const svg = await ask('chk@example.com/a', { filename: 'x.svg', size: '10', 'content-type': 'image/svg+xml' });
    assert.ok('error' in svg && svg.error === 'not-acceptable');
    assert.match(svg.text ?? '', /run script/);
  });

  test('HTML or SVG bytes declared as an image are refused 415 and counted; real image bytes pass', async () => {
    const before = await refusedCount('type-mismatch');
    const html = '<!DOCTYPE html><script>alert(1)</script>';
    const fake = await slot('chk@example.com/a', 'cat.png', html.length, 'image/png');
    const r = await put(fake.path, fake.auth, html, 'image/png');
    assert.equal(r.statusCode, 415);
    assert.match(r.body, /not image\/png/);
    assert.equal((await app.inject({ method: 'GET', url: fake.path })).statusCode, 404, 'nothing was kept');
    const svg = '  <svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>';
    const odd = await slot('chk@example.com/a', 'cat.xyz', svg.length, 'image/x-unknown');
    assert.equal((await put(odd.path, odd.auth, svg, 'image/x-unknown')).statusCode, 415, 'markup as an image of a type without a signature');
    assert.equal(await refusedCount('type-mismatch'), before + 2);
    assert.equal(existsSync(join(settings.dir, `${fake.path.split('/')[2]}.part`)), false, 'the staged body is removed');
  });

  test('the type rules on their own: signatures, markup sniffing, binary text', () => {
    assert.ok(typeMatches('image/png', PNG).ok);
    assert.ok(typeMatches('image/jpeg', Buffer.from([0xff, 0xd8, 0xff, 0xe0])).ok);
    assert.equal(typeMatches('application/pdf', Buffer.from('<html>')).ok, false);
    assert.ok(typeMatches('application/pdf', Buffer.from('%PDF-1.7')).ok);
    assert.ok(looksLikeMarkup(Buffer.from('\uFEFF\n <?xml version="1.0"?><svg/>')));
    assert.ok(looksLikeMarkup(Buffer.from('<HTML>')));
    assert.equal(looksLikeMarkup(Buffer.from('<3 you')), false);
    assert.equal(typeMatches('text/plain', Buffer.from([0x68, 0x00, 0x69])).ok, false);
    assert.ok(typeMatches('text/plain', Buffer.from('<html> is fine in a text file served as text')).ok);
  });

  test('the content filter words refuse a text file 422, also a word split across two read chunks', async () => {
    const before = await refusedCount('words');
    const text = 'please frobnicate the widget';
    const t = await slot('chk@example.com/a', 'w.txt', text.length, 'text/plain');
    const r = await put(t.path, t.auth, text, 'text/plain');
    assert.equal(r.statusCode, 422);
    assert.match(r.body, /filters/);
    const ok = await slot('chk@example.com/a', 'ok.txt', 'frobnicated'.length, 'text/plain');
    assert.equal((await put(ok.path, ok.auth, 'frobnicated', 'text/plain')).statusCode, 201, 'whole words only, as in messages');
    assert.equal(await refusedCount('words'), before + 1);
    const big = join(dir, 'big.txt');
    await writeFile(big, `${'a '.repeat(32_766)}xBLORP and more`);
    assert.equal(await findsWords(big, ['blorp']), false, 'not a whole word');
    await writeFile(big, `${'a '.repeat(32_767)}blorp and more`); // "blorp" starts 2 bytes before the 64 KiB boundary
    assert.equal(await findsWords(big, ['blorp']), true);
    assert.equal(await findsWords(big, []), false);
  });

  test('the scanner command refuses what it flags (422), a scanner that does not answer refuses too (503)', async () => {
    const virus = 'X5O!P%@AP EICAR-TEST';
    const v = await slot('chk@example.com/a', 'v.pdf', virus.length + 5, 'application/pdf');
    const r = await put(v.path, v.auth, `%PDF-${virus}`, 'application/pdf');
    assert.equal(r.statusCode, 422);
    assert.match(r.body, /malware scanner/);
    assert.equal(await refusedCount('scanner'), 1);
    const slow = await slot('chk@example.com/a', 's.txt', 4, 'text/plain');
    const started = Date.now();
    assert.equal((await put(slow.path, slow.auth, 'SLOW', 'text/plain')).statusCode, 503);
    assert.ok(Date.now() - started < 10_000, 'the timeout ended the scanner');
    assert.equal(await refusedCount('scanner-failed'), 1);
    const clean = await slot('chk@example.com/a', 'c.txt', 5, 'text/plain');
    assert.equal((await put(clean.path, clean.auth, 'clean', 'text/plain')).statusCode, 201);
  });
});

describe('XEP-0363 on an S3-compatible store', () => {
  test('object URLs are path-style or virtual-hosted', () => {
    const s = { endpoint: 'https://s3.example.com:9000', bucket: 'files', pathStyle: true };
    assert.equal(objectUrl(s, 'abc').href, 'https://s3.example.com:9000/files/abc');
    assert.equal(objectUrl({ ...s, pathStyle: false }, 'abc').href, 'https://files.s3.example.com:9000/abc');
  });

  test('a PUT is checked, then kept in the bucket with a valid signature; GET streams it back with safe headers', async () => {
    const s = await slot('s3ann@example.com/a', 'p.png', PNG.length, 'image/png', s3Loaded);
    assert.equal((await put(s.path, s.auth, PNG, 'image/png', PNG.length, s3App)).statusCode, 201);
    const id = s.path.split('/')[2]!;
    assert.deepEqual(await s3.objects(), [id]);
    const got = await s3App.inject({ method: 'GET', url: s.path });
    assert.equal(got.statusCode, 200);
    assert.deepEqual(got.rawPayload, PNG);
    assert.equal(got.headers['x-content-type-options'], 'nosniff');
    assert.match(String(got.headers['content-disposition']), /^inline; filename="p.png"/);
    const html = '<html><script>1</script>';
    const bad = await slot('s3ann@example.com/a', 'q.png', html.length, 'image/png', s3Loaded);
    assert.equal((await put(bad.path, bad.auth, html, 'image/png', html.length, s3App)).statusCode, 415);
    assert.deepEqual(await s3.objects(), [id], 'a refused file never reaches the bucket');
    assert.equal(s3.badSignatures, 0);
  });

  test('expiry deletes the object from the bucket', async () => {
    const s = await slot('s3exp@example.com/a', 'e.txt', 3, 'text/plain', s3Loaded);
    assert.equal((await put(s.path, s.auth, 'abc', 'text/plain', 3, s3App)).statusCode, 201);
    const id = s.path.split('/')[2]!;
    assert.ok((await s3.objects()).includes(id));
    clock.t += 2 * 3_600_000;
    assert.equal((await s3App.inject({ method: 'GET', url: s.path })).statusCode, 404);
    await s3Reap();
    assert.equal((await s3.objects()).includes(id), false, 'the object is gone');
    assert.equal(await store.uploads.get(id), null);
  });

  test('a bucket that refuses the credentials makes the PUT fail 503 and keeps nothing', async () => {
    const wrong = loadModules([upload({ ...settings, dir: join(dir, 's3-wrong'), s3: { ...s3.settings, secretAccessKey: 'not-it' }, registry: undefined, onReaper: undefined })]);
    const wrongApp = Fastify();
    await wrong.edge.http(wrongApp, { store, log: silentLogger });
    const s = await slot('s3bad@example.com/a', 'b.txt', 3, 'text/plain', wrong);
    const before = s3.badSignatures;
    assert.equal((await put(s.path, s.auth, 'abc', 'text/plain', 3, wrongApp)).statusCode, 503);
    assert.equal(s3.badSignatures, before + 1, 'the bad signature was caught by the verifier');
    assert.equal((await s3.objects()).includes(s.path.split('/')[2]!), false);
    await wrongApp.close();
  });
});
