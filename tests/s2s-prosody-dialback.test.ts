// Dialback over TLS (XEP-0220) with Debian's Prosody (mod_dialback, s2s_secure_auth = false): neither
// server trusts the other's certificate (each from a CA the other does not know), so both
// directions authenticate by dialback after STARTTLS; Parley runs allow-dialback-over-tls.
import assert from 'node:assert/strict';
import { randomBytes, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { DEFAULT_TEST_DATABASE_URL, openPostgres } from '@parley/store';
import { startTestServer, type TestServer } from './harness/server.ts';
import { XmppJsClient, xml } from './harness/xmppjs.ts';
import { freePort, TestCa } from './s2s-ca.ts';
import { TestDns } from './s2s-dns.ts';
import { PARLEY } from './s2s-federation.ts';
import { PrivateProsody } from './s2s-prosody.ts';

const T = { timeout: 60_000 };
const FIRST_CROSSING = 25_000;
const PEER = 'prosody.example';
const parleyCa = new TestCa('parley-ca');
const prosodyCa = new TestCa('prosody-ca');
const dir = mkdtempSync(join(tmpdir(), 'parley-prosody-dialback-'));
const schema = `parley_db_${randomBytes(4).toString('hex')}`;
let dns: TestDns;
let peer: PrivateProsody;
let parley: TestServer;
const open: XmppJsClient[] = [];

before(async () => {
  const [parleyS2s, peerS2s] = [await freePort(), await freePort()];
  dns = await TestDns.start(new Map([[PARLEY, parleyS2s]]));
  const parleyCert = parleyCa.issue([PARLEY]);
  // Prosody trusts only its own CA, Parley only the system store: neither certificate validates at the other.
  const starting = PrivateProsody.start({ dir, domain: PEER, cert: prosodyCa.issue([PEER]), caFile: prosodyCa.caFile, dnsPort: dns.port, users: [['romeo', 'pw-romeo']], s2sPort: peerS2s, dialback: true });
  const server = startTestServer({
    domain: PARLEY,
    databaseUrl: DEFAULT_TEST_DATABASE_URL,
    databaseSchema: schema,
    logLevel: (process.env.PARLEY_TEST_LOG as 'debug' | undefined) ?? 'silent',
    tlsCert: parleyCert.certFile,
    tlsKey: parleyCert.keyFile,
    s2sPort: parleyS2s,
    s2sPolicy: 'allow-dialback-over-tls',
    s2sStaticHosts: `${PEER}=127.0.0.1:${peerS2s}`,
  });
  [peer, parley] = await Promise.all([starting, server]);
  await parley.addUsers(['juliet', 'pw-juliet']);
});
after(async () => {
  await Promise.all(open.map((c) => c.stop()));
  await parley?.stop();
  await peer?.stop();
  dns?.stop();
  // PARLEY_KEEP_PROSODY_LOG=<file>: keep Prosody's debug log for a look at the negotiation.
  if (process.env.PARLEY_KEEP_PROSODY_LOG) writeFileSync(process.env.PARLEY_KEEP_PROSODY_LOG, peer?.log() ?? '');
  const sql = await openPostgres(DEFAULT_TEST_DATABASE_URL);
  await sql.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await sql.close();
  rmSync(dir, { recursive: true, force: true });
  parleyCa.remove();
  prosodyCa.remove();
});

test('juliet on Parley and romeo on Prosody exchange messages both ways, authenticated by dialback over TLS', T, async () => {
  const juliet = await XmppJsClient.connect({ service: `xmpp://127.0.0.1:${parley.ports.c2s}`, domain: PARLEY, username: 'juliet', password: 'pw-juliet', resource: 'balcony', fingerprint: parley.server.fingerprint });
  open.push(juliet);
  const romeo = await XmppJsClient.connect({
    service: `xmpp://127.0.0.1:${peer.c2sPort}`,
    domain: PEER,
    username: 'romeo',
    password: 'pw-romeo',
    resource: 'garden',
    fingerprint: new X509Certificate(readFileSync(join(prosodyCa.dir, 'cert0.pem'))).fingerprint256,
    scram: 'sha1',
  });
  open.push(romeo);
  await juliet.send(xml('message', { to: `romeo@${PEER}/garden`, type: 'chat' }, xml('body', {}, 'wherefore')));
  const m = await romeo.next((e) => e.is('message') && e.attrs.from === `juliet@${PARLEY}/balcony`, 'the message at Prosody', FIRST_CROSSING);
  assert.equal(m.getChildText('body'), 'wherefore');
  await romeo.send(xml('message', { to: `juliet@${PARLEY}/balcony`, type: 'chat' }, xml('body', {}, 'here')));
  const back = await juliet.next((e) => e.is('message') && e.attrs.from === `romeo@${PEER}/garden`, 'the answer at Parley', FIRST_CROSSING);
  assert.equal(back.getChildText('body'), 'here');
  const log = peer.log();
  // Prosody, receiving, asked Parley's authoritative side and accepted our stream by dialback ...
  assert.match(log, /s2sin\S*\s+debug\s+connection parley\.example->prosody\.example is now authenticated/, 'Prosody accepted Parley');
  assert.match(log, /Sending stream features: <stream:features><dialback xmlns='urn:xmpp:features:dialback'\/><\/stream:features>/, 'after TLS it offered dialback only');
  // ... and, authoritative, confirmed the key Parley (receiving) asked about.
  assert.match(log, /verified dialback key\.\.\. it is valid/, 'Prosody confirmed its own key to Parley');
});
