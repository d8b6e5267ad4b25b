// HTTP file upload (XEP-0363) on the HTTP port, with files kept in an S3-compatible bucket (s3rver,
// started here; local disk, the default, is covered by extensions/src/upload/upload.test.ts):
// slixmpp's own upload flow, xmpp.js asking for slots that the test then uses with fetch, and the
// content checks (type vs bytes, the word filter, a scanner command) refusing PUTs.
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { castPerFile } from './harness/cast.ts';
import { slixProfile } from './harness/profile.ts';
import { type LocalS3, startLocalS3 } from './harness/s3.ts';
import { xml } from './harness/xmppjs.ts';

const T = { timeout: 30_000 };
const NS = 'urn:xmpp:http:upload:0';
const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const dir = mkdtempSync(join(tmpdir(), 'parley-upload-s3-'));
/** Refuses a file holding the test signature, as clamdscan does (exit 1). */
const scanner = join(dir, 'scanner.sh');
writeFileSync(scanner, '#!/bin/sh\nif grep -q EICAR-TEST "$1"; then echo "$1: Eicar-Test-Signature FOUND"; exit 1; fi\nexit 0\n');
chmodSync(scanner, 0o700);
// Top-level: the bucket must listen before the cast's hook starts the server with its address.
const s3: LocalS3 = await startLocalS3(join(dir, 's3'));
const cast = castPerFile({
  uploadEnabled: true,
  uploadMaxFileBytes: 1000,
  uploadQuotaBytes: 2500,
  uploadContentTypes: 'image/*,text/plain,application/pdf',
  uploadStore: 's3',
  uploadS3Endpoint: s3.settings.endpoint,
  uploadS3Bucket: s3.settings.bucket,
  uploadS3Region: s3.settings.region,
  uploadS3AccessKeyId: s3.settings.accessKeyId,
  uploadS3SecretAccessKey: s3.settings.secretAccessKey,
  uploadS3PathStyle: true,
  uploadScanCommand: scanner,
  contentWordFilter: 'frobnicate',
});
after(async () => {
  await s3.stop();
  rmSync(dir, { recursive: true, force: true });
});
const idOf = (url: string) => new URL(url).pathname.split('/')[2]!;

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
    assert.ok((await s3.objects()).includes(idOf(up.url)), 'the file is in the bucket');
    assert.equal(s3.badSignatures, 0);
  });

  test('slixmpp uploading HTML as a PNG is refused 415 and nothing reaches the bucket; the refusal is counted', T, async () => {
    const a = await cast.account('upfake');
    const fake = await cast.slix(a);
    const before = await s3.objects();
    await assert.rejects(slixProfile(fake).upload('cat.png', Buffer.from('<html><script>alert(1)</script></html>'), 'image/png'), /HTTPError: Could not upload file: 415 \(the file is not image\/png/);
    assert.deepEqual(await s3.objects(), before);
    const metrics = await (await fetch(`http://127.0.0.1:${cast.server().ports.http}/metrics`)).text();
    assert.match(metrics, /parley_upload_refused_total\{reason="type-mismatch"\} 1/);
  });

  test('the word filter refuses a text file (422) and the scanner command a flagged file (422); a clean one is kept', T, async () => {
    const b = await cast.account('upscan');
    const bob = await cast.xmppjs(b);
    const putFile = async (filename: string, body: string, type: string) => {
      const slot = (await bob.iq(xml('iq', { type: 'get', to: cast.server().domain }, xml('request', { xmlns: NS, filename, size: String(Buffer.byteLength(body)), 'content-type': type })))).getChild('slot', NS)!;
      const url = slot.getChild('put')!.attrs.url!.replace('localhost', '127.0.0.1');
      const r = await fetch(url, { method: 'PUT', body, headers: { 'content-type': type, authorization: slot.getChild('put')!.getChildText('header')! } });
      return { status: r.status, reason: await r.text(), id: idOf(url) };
    };
    const words = await putFile('w.txt', 'please frobnicate it', 'text/plain');
    assert.deepEqual([words.status, words.reason], [422, 'the file contains words this server filters\n']);
    const virus = await putFile('v.pdf', '%PDF-1.4 EICAR-TEST', 'application/pdf');
    assert.deepEqual([virus.status, virus.reason], [422, 'the file was refused by the malware scanner\n']);
    const clean = await putFile('c.pdf', '%PDF-1.4 fine', 'application/pdf');
    assert.equal(clean.status, 201);
    const objects = await s3.objects();
    assert.ok(objects.includes(clean.id) && !objects.includes(virus.id) && !objects.includes(words.id));
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

    const slot = (await ask('pic.png', PNG.length, 'image/png')).getChild('slot', NS)!;
    const putUrl = slot.getChild('put')!.attrs.url!.replace('localhost', '127.0.0.1');
    const auth = slot.getChild('put')!.getChildText('header')!;
    const put = (body: Buffer, headers: Record<string, string>) => fetch(putUrl, { method: 'PUT', body, headers: { 'content-type': 'image/png', ...headers } });
    assert.equal((await put(PNG, { authorization: 'Bearer not-the-secret' })).status, 403);
    assert.equal((await put(Buffer.concat([PNG, PNG]), { authorization: auth })).status, 413);
    assert.equal((await put(PNG, { authorization: auth })).status, 201);
    assert.equal((await put(PNG, { authorization: auth })).status, 409);
    const got = await fetch(slot.getChild('get')!.attrs.url!.replace('localhost', '127.0.0.1'));
    assert.deepEqual(Buffer.from(await got.arrayBuffer()), PNG);
    assert.match(got.headers.get('content-disposition') ?? '', /^inline/);

    // Quota 2500: 8 bytes held, 1000 + 1000 fit, the next 1000 does not (a wait condition).
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
