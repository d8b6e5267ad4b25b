// Federation between two Parley servers on loopback (embedded mode, static hosts, a test CA):
// real xmpp.js clients on each side subscribe, see each other's presence and exchange messages;
// peers with an untrusted, expired or wrong-name certificate are refused; a peer may only speak
// for the domain it authenticated (RFC 6120 §13.7, XEP-0178, §4.9.3.10).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { flush } from './harness/flush.ts';
import { startTestServer, type TestServer } from './harness/server.ts';
import { XmppJsClient, xml, type XmlElement } from './harness/xmppjs.ts';
import { freePort, TestCa } from './s2s-ca.ts';
import { RawPeer } from './s2s-peer.ts';

const T = { timeout: 20_000 };
const ca = new TestCa('ca');
const rogue = new TestCa('rogue');
let a: TestServer;
let b: TestServer;
const open: Array<{ stop(): Promise<void> }> = [];

before(async () => {
  const [pa, pb] = [await freePort(), await freePort()];
  const certA = ca.issue(['a.test']);
  const certB = ca.issue(['b.test']);
  const common = { s2sCaFile: ca.caFile, logLevel: 'silent' as const };
  // bad.test is served by b's port, whose certificate names b.test: a wrong-name peer for a.
  a = await startTestServer({ ...common, domain: 'a.test', s2sPort: pa, tlsCert: certA.certFile, tlsKey: certA.keyFile, s2sStaticHosts: `b.test=127.0.0.1:${pb},bad.test=127.0.0.1:${pb}` });
  b = await startTestServer({ ...common, domain: 'b.test', s2sPort: pb, tlsCert: certB.certFile, tlsKey: certB.keyFile, s2sStaticHosts: `a.test=127.0.0.1:${pa}` });
  await a.addUsers(['alice', 'pw-alice'], ['carol', 'pw-carol']);
  await b.addUsers(['bob', 'pw-bob']);
});
after(async () => {
  await Promise.all(open.splice(0).map((c) => c.stop()));
  await a?.stop();
  await b?.stop();
  ca.remove();
  rogue.remove();
});

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
    await bob.next((e) => e.is('presence') && e.attrs.type === 'subscribe' && e.attrs.from === 'alice@a.test', 'the subscription request from a.test');
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
    await alice.send(xml('message', { to: 'x@unreachable.invalid', type: 'chat', id: 'm5' }, xml('body', {}, 'hi')));
    const err = await alice.next((e) => e.is('message') && e.attrs.type === 'error' && e.attrs.id === 'm5', 'the bounce');
    assert.equal(condition(err), 'remote-server-not-found');
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
    const peer = await RawPeer.connect(a.server.ports.s2s, 'c.test', 'a.test');
    const features = await peer.startTls(ca.issue(['c.test']));
    assert.ok(features.toString().includes('EXTERNAL'));
    await peer.authenticate();
    // Its own domain goes through (so the refusal below is about the address, not the stream).
    peer.write("<message from='zed@c.test/x' to='carol@a.test' type='chat'><body>legit</body></message>");
    const ok = await carol.message('zed@c.test/x', 'the message from c.test');
    assert.equal(ok.getChildText('body'), 'legit');
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
  assert.match(text, /parley_s2s_auth_failures_total\{direction="in",reason="untrusted"\} 1/);
  assert.match(text, /parley_s2s_auth_failures_total\{direction="in",reason="expired"\} 1/);
  assert.match(text, /parley_s2s_auth_failures_total\{direction="out",reason="wrong-name"\} 1/);
});
