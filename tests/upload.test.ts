// HTTP file upload (XEP-0363) on the HTTP port: slixmpp's own upload flow, and xmpp.js asking for
// slots that the test then uses with fetch.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { castPerFile } from './harness/cast.ts';
import { slixProfile } from './harness/profile.ts';
import { xml } from './harness/xmppjs.ts';

const T = { timeout: 30_000 };
const cast = castPerFile({ uploadEnabled: true, uploadMaxFileBytes: 1000, uploadQuotaBytes: 2500, uploadContentTypes: 'image/*,text/plain' });
const NS = 'urn:xmpp:http:upload:0';

describe('HTTP file upload (XEP-0363)', () => {
  test('slixmpp discovers the service, uploads a file and anyone can fetch it with safe headers', T, async () => {
    const a = await cast.account('upann');
    const ann = await cast.slix(a);
    const data = Buffer.from('hello from slixmpp\n');
    const up = await slixProfile(ann).upload('hello.txt', data, 'text/plain');
    assert.equal(up.service, cast.server().domain);
    assert.equal(up.max, 1000);
    assert.match(up.url, new RegExp(`^http://localhost:${cast.server().ports.http}/upload/[0-9a-f]{32}/hello\\.txt$`));
    const got = await fetch(up.url.replace('localhost', '127.0.0.1'));
    assert.equal(got.status, 200);
    assert.deepEqual(Buffer.from(await got.arrayBuffer()), data);
    assert.equal(got.headers.get('x-content-type-options'), 'nosniff');
    assert.match(got.headers.get('content-disposition') ?? '', /^attachment; filename="hello.txt"/);
    assert.match(got.headers.get('content-security-policy') ?? '', /default-src 'none'/);
  });

  test('xmpp.js gets a slot, is refused too large, unknown types and over quota; PUT needs the secret and exact size', T, async () => {
    const b = await cast.account('upbob');
    const bob = await cast.xmppjs(b);
    const domain = cast.server().domain;
    const ask = (filename: string, size: number, type: string) => bob.iq(xml('iq', { type: 'get', to: domain }, xml('request', { xmlns: NS, filename, size: String(size), 'content-type': type })));
    await assert.rejects(ask('big.png', 1001, 'image/png'), (e: { condition?: string; application?: { name: string; getChildText(n: string): string } }) => {
      return e.condition === 'not-acceptable' && e.application?.name === 'file-too-large' && e.application.getChildText('max-file-size') === '1000';
    });
    await assert.rejects(ask('x.exe', 10, 'application/x-msdownload'), (e: { condition?: string }) => e.condition === 'not-acceptable');

    const slot = (await ask('pic.png', 4, 'image/png')).getChild('slot', NS)!;
    const putUrl = slot.getChild('put')!.attrs.url!.replace('localhost', '127.0.0.1');
    const auth = slot.getChild('put')!.getChildText('header')!;
    const put = (body: string, headers: Record<string, string>) => fetch(putUrl, { method: 'PUT', body, headers: { 'content-type': 'image/png', ...headers } });
    assert.equal((await put('PNG!', { authorization: 'Bearer not-the-secret' })).status, 403);
    assert.equal((await put('PNG!!', { authorization: auth })).status, 413);
    assert.equal((await put('PNG!', { authorization: auth })).status, 201);
    assert.equal((await put('PNG!', { authorization: auth })).status, 409);
    const got = await fetch(slot.getChild('get')!.attrs.url!.replace('localhost', '127.0.0.1'));
    assert.equal(await got.text(), 'PNG!');
    assert.match(got.headers.get('content-disposition') ?? '', /^inline/);

    // Quota 2500: 4 bytes held, 1000 + 1000 fit, the next 1000 does not (a wait condition).
    await ask('a.txt', 1000, 'text/plain');
    await ask('b.txt', 1000, 'text/plain');
    await assert.rejects(ask('c.txt', 1000, 'text/plain'), (e: { condition?: string; type?: string }) => e.condition === 'resource-constraint');
  });

  test('the server advertises the service and its largest file in disco#info', T, async () => {
    const c = await cast.account('upcid');
    const cid = await cast.xmppjs(c);
    const info = await cid.iq(xml('iq', { type: 'get', to: cast.server().domain }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })));
    const q = info.getChild('query')!;
    assert.ok(q.getChildren('feature').some((f) => f.attrs.var === NS));
    assert.ok(q.getChildren('identity').some((i) => i.attrs.category === 'store' && i.attrs.type === 'file'));
    const form = q.getChild('x', 'jabber:x:data')!;
    assert.equal(form.getChildren('field').find((f) => f.attrs.var === 'max-file-size')?.getChildText('value'), '1000');
  });
});
