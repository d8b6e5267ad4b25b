// Federation with Debian's Prosody on loopback: a private Prosody (s2s_secure_auth = true, the
// test CA) and an embedded Parley, each with a real xmpp.js client: subscription both ways,
// presence both ways, messages both ways (RFC 6120 s2s with STARTTLS and SASL EXTERNAL, XEP-0178).
// Prosody finds Parley through a test DNS server (SRV), Parley finds Prosody through static hosts.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { DEFAULT_TEST_DATABASE_URL, openPostgres } from '@parley/store';
import { startTestServer, type TestServer } from './harness/server.ts';
import { XmppJsClient, xml } from './harness/xmppjs.ts';
import { freePort, TestCa } from './s2s-ca.ts';
import { TestDns } from './s2s-dns.ts';
import { PrivateProsody } from './s2s-prosody.ts';

const T = { timeout: 30_000 };
/** The first stanza across opens the streams (resolution, TLS both ways, SASL EXTERNAL): longer on a busy machine. */
const FIRST_CROSSING = 15_000;
// Not *.test: unbound (Prosody's resolver) answers NXDOMAIN for that reserved zone itself.
const PARLEY = 'parley.example';
const PROSODY = 'prosody.example';
const ca = new TestCa('ca');
const dir = mkdtempSync(join(tmpdir(), 'parley-prosody-'));
const schema = `parley_s2s_${randomBytes(4).toString('hex')}`;
let dns: TestDns;
let prosody: PrivateProsody;
let parley: TestServer;
const open: XmppJsClient[] = [];

before(async () => {
  const [parleyS2s, peerS2s] = [await freePort(), await freePort()];
  dns = await TestDns.start(new Map([[PARLEY, parleyS2s]]));
  const prosodyCert = ca.issue([PROSODY]);
  const cert = ca.issue([PARLEY]);
  // Both servers start at once: each knows the other's port beforehand.
  const peer = PrivateProsody.start({ dir, domain: PROSODY, cert: prosodyCert, caFile: ca.caFile, dnsPort: dns.port, users: [['romeo', 'pw-romeo']], s2sPort: peerS2s });
  const server = startTestServer({
    domain: PARLEY,
    databaseUrl: DEFAULT_TEST_DATABASE_URL,
    databaseSchema: schema,
    logLevel: 'silent',
    tlsCert: cert.certFile,
    tlsKey: cert.keyFile,
    s2sCaFile: ca.caFile,
    s2sPort: parleyS2s,
    s2sStaticHosts: `${PROSODY}=127.0.0.1:${peerS2s}`,
  });
  [prosody, parley] = await Promise.all([peer, server]);
  await parley.addUsers(['juliet', 'pw-juliet']);
});

after(async () => {
  await Promise.all(open.map((c) => c.stop()));
  await parley?.stop();
  await prosody?.stop();
  dns?.stop();
  const sql = await openPostgres(DEFAULT_TEST_DATABASE_URL);
  await sql.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await sql.close();
  // PARLEY_KEEP_PROSODY_LOG=<file>: keep Prosody's debug log for a look at the negotiation.
  if (process.env.PARLEY_KEEP_PROSODY_LOG) writeFileSync(process.env.PARLEY_KEEP_PROSODY_LOG, prosody?.log() ?? '');
  rmSync(dir, { recursive: true, force: true });
  ca.remove();
});

async function clients(): Promise<{ juliet: XmppJsClient; romeo: XmppJsClient }> {
  const juliet = await XmppJsClient.connect({ service: `xmpp://127.0.0.1:${parley.ports.c2s}`, domain: PARLEY, username: 'juliet', password: 'pw-juliet', resource: 'balcony', fingerprint: parley.server.fingerprint });
  open.push(juliet);
  const romeo = await XmppJsClient.connect({
    service: `xmpp://127.0.0.1:${prosody.c2sPort}`,
    domain: PROSODY,
    username: 'romeo',
    password: 'pw-romeo',
    resource: 'garden',
    fingerprint: new (await import('node:crypto')).X509Certificate((await import('node:fs')).readFileSync(join(ca.dir, 'cert0.pem'))).fingerprint256,
    scram: 'sha1',
  });
  open.push(romeo);
  return { juliet, romeo };
}

let juliet: XmppJsClient;
let romeo: XmppJsClient;

test('juliet on Parley and romeo on Prosody subscribe to each other and see each other online', T, async () => {
  ({ juliet, romeo } = await clients());
  await juliet.send(xml('presence'));
  await romeo.send(xml('presence'));
  await juliet.send(xml('presence', { to: `romeo@${PROSODY}`, type: 'subscribe' }));
  await romeo.next((e) => e.is('presence') && e.attrs.type === 'subscribe' && e.attrs.from === `juliet@${PARLEY}`, 'the request from Parley at Prosody', FIRST_CROSSING);
  await romeo.send(xml('presence', { to: `juliet@${PARLEY}`, type: 'subscribed' }));
  await romeo.send(xml('presence', { to: `juliet@${PARLEY}`, type: 'subscribe' }));
  await juliet.next((e) => e.is('presence') && e.attrs.type === 'subscribe' && e.attrs.from === `romeo@${PROSODY}`, 'the request from Prosody at Parley');
  await juliet.send(xml('presence', { to: `romeo@${PROSODY}`, type: 'subscribed' }));
  await juliet.next((e) => e.is('presence') && e.attrs.from === `romeo@${PROSODY}/garden` && e.attrs.type === undefined, "romeo's presence at Parley");
  await romeo.next((e) => e.is('presence') && e.attrs.from === `juliet@${PARLEY}/balcony` && e.attrs.type === undefined, "juliet's presence at Prosody");
  const item = (await juliet.rosterGet()).getChild('query')?.getChildren('item').find((i) => i.attrs.jid === `romeo@${PROSODY}`);
  assert.equal(item?.attrs.subscription, 'both');
});

test('presence changes travel both ways', T, async () => {
  await romeo.send(xml('presence', {}, xml('show', {}, 'away')));
  await juliet.next((e) => e.is('presence') && e.attrs.from === `romeo@${PROSODY}/garden` && e.getChildText('show') === 'away', "romeo's away at Parley");
  await juliet.send(xml('presence', {}, xml('show', {}, 'xa'), xml('status', {}, 'asleep')));
  const p = await romeo.next((e) => e.is('presence') && e.attrs.from === `juliet@${PARLEY}/balcony` && e.getChildText('show') === 'xa', "juliet's xa at Prosody");
  assert.equal(p.getChildText('status'), 'asleep');
});

test('messages travel both ways', T, async () => {
  await juliet.send(xml('message', { to: `romeo@${PROSODY}`, type: 'chat', id: 'j1' }, xml('body', {}, 'Wherefore art thou')));
  const m = await romeo.message(`juliet@${PARLEY}/balcony`, 'the message from Parley at Prosody');
  assert.equal(m.getChildText('body'), 'Wherefore art thou');
  await romeo.send(xml('message', { to: `juliet@${PARLEY}/balcony`, type: 'chat', id: 'r1' }, xml('body', {}, 'By a name')));
  const back = await juliet.message(`romeo@${PROSODY}/garden`, 'the message from Prosody at Parley');
  assert.equal(back.getChildText('body'), 'By a name');
});

test('both streams authenticated with certificates: Prosody logs SASL EXTERNAL, Parley counts both directions', T, async () => {
  const metrics = await (await fetch(`http://127.0.0.1:${parley.ports.http}/metrics`)).text();
  assert.match(metrics, new RegExp(`parley_s2s_connections\\{direction="out",domain="${PROSODY}"\\} 1`));
  assert.match(metrics, new RegExp(`parley_s2s_connections\\{direction="in",domain="${PROSODY}"\\} 1`));
  const log = prosody.log();
  // Prosody checked our certificate (chain and name) and accepted SASL EXTERNAL both ways; no dialback.
  assert.match(log, new RegExp(`Accepting SASL EXTERNAL identity from ${PARLEY}`));
  assert.match(log, new RegExp(`SASL EXTERNAL with ${PARLEY} succeeded`));
  assert.match(log, /certificate identity validation result: valid/);
  assert.doesNotMatch(log, /dialback/i);
});

test('when the unavailable goes, Prosody learns of it: juliet logs out and romeo sees her unavailable', T, async () => {
  await juliet.stop();
  await romeo.next((e) => e.is('presence') && e.attrs.from === `juliet@${PARLEY}/balcony` && e.attrs.type === 'unavailable', "juliet's unavailable at Prosody");
});
