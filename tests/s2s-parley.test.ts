// Federation between two Parley servers on loopback (embedded mode, static hosts, a test CA):
// real xmpp.js clients on each side subscribe, see each other's presence and exchange messages;
// peers with an untrusted, expired or wrong-name certificate are refused; a peer may only speak
// for the domain it authenticated (RFC 6120 §13.7, XEP-0178, §4.9.3.10).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { DEFAULT_TEST_DATABASE_URL, openPostgres } from '@parley/store';
import { flush } from './harness/flush.ts';
import { startTestServer, type TestServer } from './harness/server.ts';
import { XmppJsClient, xml, type XmlElement } from './harness/xmppjs.ts';
import { freePort, TestCa } from './s2s-ca.ts';
import { RawPeer, wrongNameServer } from './s2s-peer.ts';

const T = { timeout: 30_000 };
/** The first stanza across opens the streams (resolution, TLS both ways, SASL EXTERNAL): longer on a busy machine. */
const FIRST_CROSSING = 15_000;
const ca = new TestCa('ca');
const rogue = new TestCa('rogue');
let a: TestServer;
let b: TestServer;
let impostor: Server;
let silent: Server;
let pinnedCert: { certFile: string; keyFile: string; fingerprint: string };
const open: Array<{ stop(): Promise<void> }> = [];
let cCert: ReturnType<TestCa['issue']> | null = null;
/** One valid certificate for the raw peer c.test, issued once (openssl is slow on a busy machine). */
const cTest = () => (cCert ??= ca.issue(['c.test']));
// Each server on its own Postgres scratch schema: two PGlite start-ups would take most of the file's time.
const schemas = [1, 2].map(() => `parley_s2s_${randomBytes(4).toString('hex')}`);

before(async () => {
  const [pa, pb, pbad] = [await freePort(), await freePort(), await freePort()];
  const certA = ca.issue(['a.test']);
  const certB = ca.issue(['b.test']);
  const common = { s2sCaFile: ca.caFile, logLevel: 'silent' as const, databaseUrl: DEFAULT_TEST_DATABASE_URL };
  impostor = await wrongNameServer('bad.test', ca.issue(['d.test']), pbad);
  silent = await silentServer();
  // A certificate no trusted CA issued, accepted for pinned.test because its fingerprint is pinned.
  pinnedCert = rogue.issue(['pinned.test']);
  a = await startTestServer({
    ...common,
    databaseSchema: schemas[0],
    domain: 'a.test',
    s2sPort: pa,
    tlsCert: certA.certFile,
    tlsKey: certA.keyFile,
    s2sStaticHosts: `b.test=127.0.0.1:${pb},bad.test=127.0.0.1:${pbad},unreachable.test=127.0.0.1:1,silent.test=127.0.0.1:${(silent.address() as { port: number }).port}`,
    s2sDomainPolicy: `pinned.test=pin:${pinnedCert.fingerprint},refused.test=refuse`,
    // Short, so that a peer that never answers is given up within the test (remote-server-timeout).
    negotiationTimeoutSec: 4,
  });
  b = await startTestServer({
    ...common,
    databaseSchema: schemas[1],
    domain: 'b.test',
    s2sPort: pb,
    tlsCert: certB.certFile,
    tlsKey: certB.keyFile,
    // b reaches a by direct TLS (XEP-0368), a reaches b by STARTTLS: both ways of opening are in use.
    s2sStaticHosts: `a.test=tls:127.0.0.1:${a.ports.s2sTls}`,
  });
  await a.addUsers(['alice', 'pw-alice'], ['carol', 'pw-carol']);
  await b.addUsers(['bob', 'pw-bob']);
});
after(async () => {
  await Promise.all(open.splice(0).map((c) => c.stop()));
  await a?.stop();
  await b?.stop();
  impostor?.close();
  silent?.close();
  const sql = await openPostgres(DEFAULT_TEST_DATABASE_URL);
  for (const s of schemas) await sql.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
  await sql.close();
  ca.remove();
  rogue.remove();
});

/** A server for silent.test that accepts connections and never says a word. */
function silentServer(): Promise<Server> {
  const server = createServer((sock) => sock.on('error', () => {}));
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

async function login(ts: TestServer, user: string): Promise<XmppJsClient> {
  const c = await XmppJsClient.connect({ service: `xmpp://127.0.0.1:${ts.ports.c2s}`, domain: ts.domain, username: user, password: `pw-${user}`, resource: 'r', fingerprint: ts.server.fingerprint });
  open.push(c);
  return c;
}

const condition = (el: XmlElement) => el.getChild('error')?.getChildElements().find((c) => c.name !== 'text')?.name;

describe('two Parley servers federate', () => {
  let alice: XmppJsClient;
  let bob: XmppJsClient;

  test('alice subscribes to bob across domains and bob approves: both see each other online', T, async () => {
    alice = await login(a, 'alice');
    bob = await login(b, 'bob');
    await alice.send(xml('presence'));
    await bob.send(xml('presence'));
    await alice.send(xml('presence', { to: 'bob@b.test', type: 'subscribe' }));
    await bob.next((e) => e.is('presence') && e.attrs.type === 'subscribe' && e.attrs.from === 'alice@a.test', 'the subscription request from a.test', FIRST_CROSSING);
    await bob.send(xml('presence', { to: 'alice@a.test', type: 'subscribed' }));
    await bob.send(xml('presence', { to: 'alice@a.test', type: 'subscribe' }));
    await alice.next((e) => e.is('presence') && e.attrs.type === 'subscribe' && e.attrs.from === 'bob@b.test', 'the subscription request from b.test');
    await alice.send(xml('presence', { to: 'bob@b.test', type: 'subscribed' }));
    // Each side's current presence follows its approval (RFC 6121 §3.1.5).
    await alice.next((e) => e.is('presence') && e.attrs.from === 'bob@b.test/r' && e.attrs.type === undefined, "bob's presence at alice");
    await bob.next((e) => e.is('presence') && e.attrs.from === 'alice@a.test/r' && e.attrs.type === undefined, "alice's presence at bob");
    const roster = await alice.rosterGet();
    const item = roster.getChild('query')?.getChildren('item').find((i) => i.attrs.jid === 'bob@b.test');
    assert.equal(item?.attrs.subscription, 'both');
  });

  test('a presence change travels to the remote subscriber, and unavailable when the session ends', T, async () => {
    await bob.send(xml('presence', {}, xml('show', {}, 'away'), xml('status', {}, 'lunch')));
    const p = await alice.next((e) => e.is('presence') && e.attrs.from === 'bob@b.test/r' && e.getChildText('show') === 'away', "bob's away");
    assert.equal(p.getChildText('status'), 'lunch');
    await alice.send(xml('presence', {}, xml('show', {}, 'dnd')));
    await bob.next((e) => e.is('presence') && e.attrs.from === 'alice@a.test/r' && e.getChildText('show') === 'dnd', "alice's dnd");
  });

  test('messages go both ways between the domains', T, async () => {
    await alice.send(xml('message', { to: 'bob@b.test', type: 'chat', id: 'm1' }, xml('body', {}, 'hello from a.test')));
    const m = await bob.message('alice@a.test/r', 'the message from a.test');
    assert.equal(m.getChildText('body'), 'hello from a.test');
    await bob.send(xml('message', { to: 'alice@a.test/r', type: 'chat', id: 'm2' }, xml('body', {}, 'hello from b.test')));
    const back = await alice.message('bob@b.test/r', 'the answer from b.test');
    assert.equal(back.getChildText('body'), 'hello from b.test');
  });

  test('blocking applies to a remote JID: alice blocks bob@b.test and his message is refused, not delivered', T, async () => {
    const BLOCKING = 'urn:xmpp:blocking';
    await alice.iq(xml('iq', { type: 'set' }, xml('block', { xmlns: BLOCKING }, xml('item', { jid: 'bob@b.test' }))));
    await bob.send(xml('message', { to: 'alice@a.test', type: 'chat', id: 'blocked1' }, xml('body', {}, 'are you there?')));
    // XEP-0191 §3.3: answered like an account that cannot take it; the error crosses the federation back.
    const err = await bob.next((e) => e.is('message') && e.attrs.type === 'error' && e.attrs.id === 'blocked1', 'the refusal at b.test');
    assert.equal(condition(err), 'service-unavailable');
    await flush(alice);
    assert.ok(!alice.received.some((x) => x.includes('are you there?')), 'the blocked message was not delivered');
    await alice.iq(xml('iq', { type: 'set' }, xml('unblock', { xmlns: BLOCKING }, xml('item', { jid: 'bob@b.test' }))));
  });

  test('an IQ to a remote account is answered over the federation (ping to the other server)', T, async () => {
    const r = await alice.iq(xml('iq', { type: 'get', to: 'b.test' }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
    assert.equal(r.attrs.type, 'result');
    assert.equal(r.attrs.from, 'b.test');
  });

  test('a message to a user who does not exist on the remote server comes back as service-unavailable', T, async () => {
    await alice.send(xml('message', { to: 'nobody@b.test', type: 'chat', id: 'm3' }, xml('body', {}, 'anyone?')));
    const err = await alice.next((e) => e.is('message') && e.attrs.type === 'error' && e.attrs.id === 'm3', 'the error from b.test');
    assert.equal(condition(err), 'service-unavailable');
  });

  test('a remote server whose certificate names another domain is not used: the message bounces', T, async () => {
    await alice.send(xml('message', { to: 'eve@bad.test', type: 'chat', id: 'm4' }, xml('body', {}, 'secret')));
    const err = await alice.next((e) => e.is('message') && e.attrs.type === 'error' && e.attrs.id === 'm4', 'the bounce for bad.test');
    assert.equal(condition(err), 'remote-server-not-found');
    assert.equal(err.attrs.from, 'bad.test');
  });

  test('a domain nobody answers for bounces with remote-server-not-found', T, async () => {
    await alice.send(xml('message', { to: 'x@unreachable.test', type: 'chat', id: 'm5' }, xml('body', {}, 'hi')));
    const err = await alice.next((e) => e.is('message') && e.attrs.type === 'error' && e.attrs.id === 'm5', 'the bounce');
    assert.equal(condition(err), 'remote-server-not-found');
  });
});

test('stanzas wait for a peer that never answers, then all come back remote-server-timeout', T, async () => {
  const alice = await login(a, 'alice');
  await alice.send(xml('message', { to: 'x@silent.test', type: 'chat', id: 's1' }, xml('body', {}, 'one')));
  await alice.send(xml('iq', { to: 'x@silent.test/r', type: 'get', id: 's2' }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
  const m = await alice.next((e) => e.is('message') && e.attrs.id === 's1' && e.attrs.type === 'error', 'the timeout for the message', 15_000);
  const iq = await alice.next((e) => e.is('iq') && e.attrs.id === 's2' && e.attrs.type === 'error', 'the timeout for the IQ', 15_000);
  assert.equal(condition(m), 'remote-server-timeout');
  assert.equal(condition(iq), 'remote-server-timeout');
  await alice.stop();
});

describe('direct TLS and bad input on server streams', () => {
  test('a peer on the direct TLS port (XEP-0368) authenticates with SASL EXTERNAL and delivers', T, async () => {
    const carol = await login(a, 'carol');
    await carol.send(xml('presence'));
    await flush(carol);
    const { peer, features } = await RawPeer.connectTls(a.server.ports.s2sTls, 'c.test', 'a.test', cTest());
    assert.ok(features.toString().includes('EXTERNAL'), features.toString());
    await peer.authenticate();
    peer.write("<message from='zed@c.test/tls' to='carol@a.test' type='chat'><body>over direct TLS</body></message>");
    await carol.next((e) => e.is('message') && e.attrs.from === 'zed@c.test/tls' && e.getChildText('body') === 'over direct TLS', 'the message over direct TLS');
    peer.close();
    await carol.stop();
  });

  const authenticated = async () => {
    const peer = await RawPeer.connect(a.server.ports.s2s, 'c.test', 'a.test');
    await peer.startTls(cTest());
    await peer.authenticate();
    return peer;
  };

  for (const [what, input, condition] of [
    ['a stanza without a to', "<message from='zed@c.test'><body>x</body></message>", 'improper-addressing'],
    ['a stanza for a domain this server does not serve', "<message from='zed@c.test' to='x@elsewhere.test'><body>x</body></message>", 'host-unknown'],
    ['an element that is no stanza', "<foo from='zed@c.test' to='a.test'/>", 'unsupported-stanza-type'],
    ['XML this server does not accept (a processing instruction)', "<?evil?><message from='zed@c.test' to='carol@a.test'/>", 'restricted-xml'],
  ] as const) {
    test(`${what} closes the stream with ${condition}, and the server goes on`, T, async () => {
      const peer = await authenticated();
      peer.write(input);
      assert.equal(await peer.streamError(), condition);
      peer.close();
      const again = await authenticated();
      again.close();
    });
  }

  test('a stream header for a domain this server does not serve is host-unknown', T, async () => {
    const peer = await RawPeer.connect(a.server.ports.s2s, 'c.test', 'nobody.test');
    assert.equal(await peer.streamError(), 'host-unknown');
    peer.close();
  });
});

describe('per-domain rules', () => {
  test('a pinned certificate is accepted for its domain although no trusted CA issued it', T, async () => {
    const peer = await RawPeer.connect(a.server.ports.s2s, 'pinned.test', 'a.test');
    const features = await peer.startTls(pinnedCert);
    assert.ok(features.toString().includes('EXTERNAL'), features.toString());
    await peer.authenticate();
    peer.close();
  });

  test('the same certificate for another domain is refused: the pin is per domain', T, async () => {
    const peer = await RawPeer.connect(a.server.ports.s2s, 'other.test', 'a.test');
    await peer.startTls(pinnedCert).catch(() => {});
    assert.equal(await peer.streamError(), 'policy-violation');
    peer.close();
  });

  test('a refused domain is refused even with a valid certificate, and nothing is sent to it', T, async () => {
    const peer = await RawPeer.connect(a.server.ports.s2s, 'refused.test', 'a.test');
    await peer.startTls(ca.issue(['refused.test'])).catch(() => {});
    assert.equal(await peer.streamError(), 'policy-violation');
    peer.close();
    const carol = await login(a, 'carol');
    await carol.send(xml('message', { to: 'x@refused.test', type: 'chat', id: 'r1' }, xml('body', {}, 'hi')));
    const err = await carol.next((e) => e.is('message') && e.attrs.id === 'r1' && e.attrs.type === 'error', 'the bounce');
    assert.equal(condition(err), 'remote-server-not-found');
    await carol.stop();
  });
});

describe('peers are refused unless their certificate is valid for their domain', () => {
  const refusedWith = async (cert: { certFile: string; keyFile: string }, from: string) => {
    const peer = await RawPeer.connect(a.server.ports.s2s, from, 'a.test');
    try {
      await peer.startTls(cert).catch(() => {});
      return await peer.streamError();
    } finally {
      peer.close();
    }
  };

  test('a certificate from an untrusted CA', T, async () => {
    assert.equal(await refusedWith(rogue.issue(['c.test']), 'c.test'), 'policy-violation');
  });

  test('an expired certificate', T, async () => {
    assert.equal(await refusedWith(ca.issue(['c.test'], { days: -1 }), 'c.test'), 'policy-violation');
  });

  test('a valid certificate for another domain', T, async () => {
    assert.equal(await refusedWith(ca.issue(['d.test']), 'c.test'), 'policy-violation');
  });

  test('a stanza before TLS', T, async () => {
    const peer = await RawPeer.connect(a.server.ports.s2s, 'c.test', 'a.test');
    await peer.next('stream:features', 'features');
    peer.write("<message from='x@c.test' to='alice@a.test'><body>plain</body></message>");
    assert.equal(await peer.streamError(), 'policy-violation');
    peer.close();
  });

  test('a peer may speak only for the domain it authenticated: a spoofed from closes its stream', T, async () => {
    const carol = await login(a, 'carol');
    await carol.send(xml('presence'));
    await flush(carol);
    const peer = await RawPeer.connect(a.server.ports.s2s, 'c.test', 'a.test');
    const features = await peer.startTls(cTest());
    assert.ok(features.toString().includes('EXTERNAL'));
    await peer.authenticate();
    // Its own domain goes through (so the refusal below is about the address, not the stream).
    peer.write("<message from='zed@c.test/x' to='carol@a.test' type='chat'><body>legit</body></message>");
    await carol.next((e) => e.is('message') && e.attrs.from === 'zed@c.test/x' && e.getChildText('body') === 'legit', 'the message from c.test');
    peer.write("<message from='bob@b.test/r' to='carol@a.test' type='chat'><body>spoofed</body></message>");
    assert.equal(await peer.streamError(), 'invalid-from');
    peer.close();
    await flush(carol);
    assert.ok(!carol.received.some((s) => s.includes('spoofed')), 'the spoofed message was not delivered');
  });
});

test('the s2s metrics count streams per domain and refusals by reason', T, async () => {
  const res = await fetch(`http://127.0.0.1:${a.ports.http}/metrics`);
  const text = await res.text();
  assert.match(text, /parley_s2s_connections\{direction="out",domain="b.test"\} 1/);
  for (const [direction, reason] of [['in', 'untrusted'], ['in', 'expired'], ['in', 'wrong-name'], ['out', 'wrong-name'], ['out', 'refused-by-policy'], ['out', 'timeout']]) {
    assert.match(text, new RegExp(`parley_s2s_auth_failures_total\\{direction="${direction}",reason="${reason}"\\} [1-9]`), `${direction} ${reason}`);
  }
  assert.match(text, /parley_s2s_bounced_total\{condition="remote-server-timeout"\} 2/);
});
