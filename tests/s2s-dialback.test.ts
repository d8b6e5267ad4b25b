// Dialback (XEP-0220) over TLS only, between Parley servers whose certificates do not validate
// (self-signed, generated at start): under PARLEY_S2S_POLICY=allow-dialback-over-tls they federate
// both ways, each acting as originating, receiving and authoritative server; a server under
// require-valid refuses them; a forged key is found invalid by the authoritative server; dialback
// before TLS is refused.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { DEFAULT_TEST_DATABASE_URL, openPostgres } from '@parley/store';
import { startTestServer, type TestServer } from './harness/server.ts';
import { XmppJsClient, xml, type XmlElement } from './harness/xmppjs.ts';
import { freePort, TestCa } from './s2s-ca.ts';
import { RawPeer } from './s2s-peer.ts';

const T = { timeout: 40_000 };
/** The first stanza across opens the streams (TLS, dialback with a connection back): longer on a busy machine. */
const FIRST_CROSSING = 20_000;
const rogue = new TestCa('rogue');
const DB = "xmlns:db='jabber:server:dialback'";
let x: TestServer;
let y: TestServer;
let z: TestServer;
const open: Array<{ stop(): Promise<void> }> = [];
const schemas = [1, 2, 3].map(() => `parley_db_${randomBytes(4).toString('hex')}`);

before(async () => {
  const [px, py, pz] = [await freePort(), await freePort(), await freePort()];
  const hosts = `x.test=127.0.0.1:${px},y.test=127.0.0.1:${py},z.test=127.0.0.1:${pz}`;
  // No PARLEY_TLS_CERT: each server generates a self-signed certificate for its domain, which no peer trusts.
  const common = { logLevel: 'silent' as const, databaseUrl: DEFAULT_TEST_DATABASE_URL, s2sStaticHosts: hosts, negotiationTimeoutSec: 10 };
  [x, y, z] = await Promise.all([
    startTestServer({ ...common, databaseSchema: schemas[0], domain: 'x.test', s2sPort: px, s2sPolicy: 'allow-dialback-over-tls' }),
    startTestServer({ ...common, databaseSchema: schemas[1], domain: 'y.test', s2sPort: py, s2sPolicy: 'allow-dialback-over-tls' }),
    startTestServer({ ...common, databaseSchema: schemas[2], domain: 'z.test', s2sPort: pz, s2sPolicy: 'require-valid' }),
  ]);
  await x.addUsers(['alice', 'pw-alice']);
  await y.addUsers(['bob', 'pw-bob']);
  await z.addUsers(['zoe', 'pw-zoe']);
});
after(async () => {
  await Promise.all(open.splice(0).map((c) => c.stop()));
  await Promise.all([x?.stop(), y?.stop(), z?.stop()]);
  const sql = await openPostgres(DEFAULT_TEST_DATABASE_URL);
  for (const s of schemas) await sql.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
  await sql.close();
  rogue.remove();
});

async function login(ts: TestServer, user: string): Promise<XmppJsClient> {
  const c = await XmppJsClient.connect({ service: `xmpp://127.0.0.1:${ts.ports.c2s}`, domain: ts.domain, username: user, password: `pw-${user}`, resource: 'r', fingerprint: ts.server.fingerprint });
  open.push(c);
  await c.send(xml('presence'));
  return c;
}

const condition = (el: XmlElement) => el.getChild('error')?.getChildElements().find((c) => c.name !== 'text')?.name;

describe('dialback over TLS (XEP-0220)', () => {
  test('two servers with self-signed certificates exchange messages both ways under allow-dialback-over-tls', T, async () => {
    const alice = await login(x, 'alice');
    const bob = await login(y, 'bob');
    await alice.send(xml('message', { to: 'bob@y.test/r', type: 'chat' }, xml('body', {}, 'over dialback')));
    const m = await bob.next((e) => e.is('message') && e.attrs.from === 'alice@x.test/r', 'the message from x.test', FIRST_CROSSING);
    assert.equal(m.getChildText('body'), 'over dialback');
    await bob.send(xml('message', { to: 'alice@x.test/r', type: 'chat' }, xml('body', {}, 'and back')));
    const back = await alice.next((e) => e.is('message') && e.attrs.from === 'bob@y.test/r', 'the answer from y.test', FIRST_CROSSING);
    assert.equal(back.getChildText('body'), 'and back');
  });

  test('a server under require-valid refuses them, in both directions', T, async () => {
    const alice = await login(x, 'alice');
    const zoe = await login(z, 'zoe');
    await alice.send(xml('message', { to: 'zoe@z.test', id: 'to-z' }, xml('body', {}, 'hello z')));
    const bounced = await alice.next((e) => e.is('message') && e.attrs.id === 'to-z' && e.attrs.type === 'error', 'the bounce from z.test', FIRST_CROSSING);
    assert.equal(condition(bounced), 'remote-server-not-found');
    await zoe.send(xml('message', { to: 'alice@x.test', id: 'to-x' }, xml('body', {}, 'hello x')));
    const refused = await zoe.next((e) => e.is('message') && e.attrs.id === 'to-x' && e.attrs.type === 'error', 'the bounce at z.test', FIRST_CROSSING);
    assert.equal(condition(refused), 'remote-server-not-found');
  });

  test('a forged dialback key is found invalid by the authoritative server and ends the stream', T, async () => {
    const peer = await RawPeer.connect(x.server.ports.s2s, 'y.test', 'x.test');
    const features = await peer.startTls(rogue.issue(['y.test']));
    assert.ok(features.getChild('dialback', 'urn:xmpp:features:dialback'), features.toString());
    assert.ok(!features.toString().includes('EXTERNAL'), 'no SASL EXTERNAL for a certificate that does not validate');
    peer.write(`<db:result ${DB} from='y.test' to='x.test'>${'ab'.repeat(32)}</db:result>`);
    const verdict = await peer.inbox.next((e) => e.is('result', 'jabber:server:dialback'), 'the dialback verdict', FIRST_CROSSING);
    assert.equal(verdict.attr('type'), 'invalid');
    assert.equal(await peer.streamError(), 'not-authorized');
    peer.close();
  });

  test('dialback before TLS is refused', T, async () => {
    const peer = await RawPeer.connect(x.server.ports.s2s, 'y.test', 'x.test');
    const features = await peer.next('stream:features', 'features');
    assert.ok(!features.getChild('dialback', 'urn:xmpp:features:dialback'), 'dialback is not offered before TLS');
    peer.write(`<db:result ${DB} from='y.test' to='x.test'>${'ab'.repeat(32)}</db:result>`);
    assert.equal(await peer.streamError(), 'policy-violation');
    peer.close();
  });
});
