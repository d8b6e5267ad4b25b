// XEP-0363: slots (size, type, quota, who) and the HTTP side (secret, size, type, reuse, expiry,
// safe headers), on an in-memory PGlite store and fastify's inject.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type IqOutcome, loadModules, type SessionIqRequest } from '@parley/ext';
import { parseJid } from '@parley/jid';
import { silentLogger } from '@parley/log';
import { createStore, migrate, openPglite, type Store } from '@parley/store';
import { xml } from '@parley/xml';
import Fastify, { type FastifyInstance } from 'fastify';
import { NS_UPLOAD, upload } from './index.ts';
import type { UploadSettings } from './slot.ts';

const DOMAIN = 'example.com';
let store: Store;
let dir: string;
let app: FastifyInstance;
let reap: () => Promise<void>;
const clock = { t: Date.parse('2030-01-01T00:00:00Z') };
let settings: UploadSettings;
let loaded: ReturnType<typeof loadModules>;

before(async () => {
  const sql = await openPglite(null);
  await migrate(sql);
  store = createStore(sql);
  dir = await mkdtemp(join(tmpdir(), 'parley-upload-'));
  settings = {
    maxFileBytes: 1000,
    quotaBytes: 1500,
    expiryHours: 1,
    contentTypes: ['image/*', 'text/plain', 'text/html'],
    dir,
    publicUrl: 'https://files.example.com',
    now: () => clock.t,
    onReaper: (r) => {
      reap = r;
    },
  };
  loaded = loadModules([upload(settings)]);
  app = Fastify();
  await loaded.edge.http(app, { store, log: silentLogger });
  await app.ready();
});
after(async () => {
  await app?.close();
  await store?.close();
  await rm(dir, { recursive: true, force: true });
});

function ask(from: string, attrs: Record<string, string>, to = DOMAIN): Promise<IqOutcome> {
  const handler = loaded.session.iq.find('server', 'get', NS_UPLOAD, 'request')!;
  const payload = xml('request', { xmlns: NS_UPLOAD, ...attrs });
  const ctx: SessionIqRequest = { domain: DOMAIN, from: parseJid(from), to: parseJid(to), payload, iq: xml('iq', { type: 'get' }, payload), env: { store } as never, disco: loaded.disco, discoNodes: loaded.session.discoNodes };
  return Promise.resolve(handler.handle(ctx));
}

async function slot(from: string, filename: string, size: number, type: string) {
  const out = await ask(from, { filename, size: String(size), 'content-type': type });
  if (!('result' in out)) assert.fail(`no slot: ${out.error} ${out.text}`);
  const s = out.result[0]!;
  const put = s.getChild('put')!;
  const path = new URL(put.attr('url')!).pathname;
  return { path, auth: put.getChildText('header')!, get: s.getChild('get')!.attr('url')! };
}

const put = (path: string, auth: string | undefined, body: string, type: string, length = Buffer.byteLength(body)) =>
  app.inject({ method: 'PUT', url: path, payload: body, headers: { 'content-type': type, 'content-length': String(length), ...(auth ? { authorization: auth } : {}) } });

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
    assert.equal((await put(s.path, s.auth, 'hello', 'text/html')).statusCode, 400, 'another type');
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

  test('HTML is served as an attachment, a PNG inline, both sandboxed', async () => {
    const h = await slot('ann@example.com/a', 'x.html', 20, 'text/html');
    assert.equal((await put(h.path, h.auth, '<script>1</script>xx', 'text/html')).statusCode, 201);
    assert.match(String((await app.inject({ method: 'GET', url: h.path })).headers['content-disposition']), /^attachment/);
    const p = await slot('ann@example.com/a', 'p.png', 4, 'image/png');
    assert.equal((await put(p.path, p.auth, 'PNG!', 'image/png')).statusCode, 201);
    const got = await app.inject({ method: 'GET', url: p.path });
    assert.match(String(got.headers['content-disposition']), /^inline/);
    assert.equal(got.headers['x-content-type-options'], 'nosniff');
  });

  test('a slot not filled in its window is refused, and expired files are deleted by the cleanup', async () => {
    const late = await slot('exp@example.com/a', 'late.txt', 3, 'text/plain');
    const kept = await slot('exp@example.com/a', 'kept.txt', 3, 'text/plain');
    assert.equal((await put(kept.path, kept.auth, 'abc', 'text/plain')).statusCode, 201);
    const id = kept.path.split('/')[2]!;
    assert.ok(existsSync(join(dir, id)));
    clock.t += 10 * 60_000;
    assert.equal((await put(late.path, late.auth, 'abc', 'text/plain')).statusCode, 403);
    assert.equal((await app.inject({ method: 'GET', url: kept.path })).statusCode, 200);
    clock.t += 2 * 3_600_000;
    assert.equal((await app.inject({ method: 'GET', url: kept.path })).statusCode, 404, 'expired');
    await reap();
    assert.equal(existsSync(join(dir, id)), false, 'the file is gone');
    assert.equal(await store.uploads.get(id), null);
  });
});
