// XEP-0198 §5 stream resumption in embedded mode, with real clients: slixmpp (xep_0198) and xmpp.js.
// A client that loses its connection resumes and receives exactly what it had not acknowledged; a
// session not resumed in its window ends: its queue goes to offline storage, its contacts see it leave.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { flush } from './harness/flush.ts';
import { startTestServer, type TestServer, uniqueName } from './harness/server.ts';
import { SlixClient } from './harness/slix.ts';
import { SlixSmClient } from './harness/slix-sm.ts';
import { XmppJsClient } from './harness/xmppjs.ts';

/** Bodies of the messages from `from` still buffered (taken out), plus those a test already took. */
const bodiesFrom = (c: SlixClient, from: string, taken: string[]) =>
  [...taken, ...c.inbox.take((e) => e.event === 'message' && String(e.from).startsWith(from)).map((e) => String(e.body))].sort();

/** Subscribes both ways and waits until each sees the other online. */
async function befriend(a: SlixClient, aj: string, b: SlixClient, bj: string): Promise<void> {
  await a.subscribe(bj);
  await b.presence((p) => p.type === 'subscribe' && p.from.startsWith(aj), 'a subscription request');
  await b.approve(aj);
  await b.subscribe(aj);
  await a.presence((p) => p.type === 'subscribe' && p.from.startsWith(bj), 'a subscription request');
  await a.approve(bj);
  await a.presence((p) => p.type === 'available' && p.from.startsWith(bj), 'the contact online');
  await b.presence((p) => p.type === 'available' && p.from.startsWith(aj), 'the contact online');
}

describe('XEP-0198 resumption (embedded)', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startTestServer({ smResumeTimeoutSec: 2 });
  });
  after(async () => {
    await srv.stop();
  });

  const pair = async () => {
    const [a, b] = [uniqueName('res-a'), uniqueName('res-b')];
    const [aj, bj] = await srv.addUsers([a, 'pw-a'], [b, 'pw-b']);
    const alice = await SlixSmClient.connectSm({ jid: `${aj}/phone`, password: 'pw-a', port: srv.ports.c2s });
    const bob = await SlixClient.connect({ jid: `${bj}/desk`, password: 'pw-b', port: srv.ports.c2s });
    return { alice, bob, aj: aj!, bj: bj! };
  };

  test('slixmpp: a dropped connection resumes and receives exactly the stanzas it had not acknowledged', async () => {
    const { alice, bob, aj, bj } = await pair();
    try {
      const state = await alice.smState();
      assert.ok(state.id, 'the server offered resumption (an id in <enabled/>)');
      await bob.sendMessage(`${aj}/phone`, 'before');
      const taken = [(await alice.message((m) => m.body === 'before', 'the first message')).body];
      // Gone without a stream close: the session is detached, not ended; messages queue for it.
      await alice.drop();
      await bob.sendMessage(`${aj}/phone`, 'while away 1');
      await bob.sendMessage(aj, 'while away 2');
      await flush(bob);
      const r = await alice.resume(srv.ports.c2s);
      assert.equal(r.outcome, 'sm_resumed');
      taken.push((await alice.message((m) => m.body === 'while away 2', 'the queued messages after resumption')).body);
      await bob.sendMessage(`${aj}/phone`, 'after');
      taken.push((await alice.message((m) => m.body === 'after', 'a message after resumption')).body);
      await flush(alice);
      // Exactly once each; 'before' (covered by the client's h) is not sent again.
      assert.deepEqual(bodiesFrom(alice, bj, taken), ['after', 'before', 'while away 1', 'while away 2']);
    } finally {
      await Promise.all([alice.stop(), bob.stop()]);
    }
  });

  test('xmpp.js: a lost socket reconnects and resumes the same session; queued messages arrive once', async () => {
    const [a, b] = [uniqueName('resjs-a'), uniqueName('resjs-b')];
    const [, bj] = await srv.addUsers([a, 'pw-a'], [b, 'pw-b']);
    const alice = await XmppJsClient.connect({ service: `xmpp://127.0.0.1:${srv.ports.c2s}`, domain: srv.domain, username: a, password: 'pw-a', resource: 'js', fingerprint: srv.server.fingerprint });
    const bob = await SlixClient.connect({ jid: `${bj}/desk`, password: 'pw-b', port: srv.ports.c2s });
    try {
      const sm = (alice.xmpp as unknown as { streamManagement: { id: string; enabled: boolean; once(ev: string, f: () => void): void } }).streamManagement;
      await waitUntil(() => sm.enabled, 'xmpp.js to enable stream management');
      assert.ok(sm.id, 'resumption offered');
      const jid = alice.jid;
      await bob.sendMessage(jid, 'one');
      await alice.message(bj!, 'the first message');
      const resumed = new Promise<void>((r) => sm.once('resumed', r));
      // The network fails: xmpp.js sees the socket die and reconnects (its reconnect module) with <resume/>.
      (alice.xmpp as unknown as { reconnect: { start(): void; delay: number } }).reconnect.start();
      await bob.sendMessage(jid, 'two');
      await flush(bob);
      // After STARTTLS xmpp.js wraps the TLS socket; destroying it is a dead network, not a stream close.
      const wrapper = (alice.xmpp as unknown as { socket: { socket?: { destroy(): void }; destroy?(): void } }).socket;
      (wrapper.socket ?? (wrapper as { destroy(): void })).destroy();
      await resumed;
      assert.equal((alice.xmpp as unknown as { jid: { toString(): string } }).jid.toString(), jid, 'the same full JID');
      const two = await alice.message(bj!, 'the queued message');
      assert.equal(two.getChildText('body'), 'two');
      await bob.sendMessage(jid, 'three');
      const three = await alice.message(bj!, 'a message after resumption');
      assert.equal(three.getChildText('body'), 'three');
      await alice.ping();
      assert.deepEqual(alice.inbox.take((e) => e.is('message')).map((e) => e.getChildText('body')), [], 'nothing twice');
    } finally {
      (alice.xmpp as unknown as { reconnect: { stop(): void } }).reconnect.stop();
      await alice.stop();
      await bob.stop();
    }
  });

  test('slixmpp: resuming after the window fails with item-not-found and h; the queue went to offline storage, contacts saw it leave', async () => {
    const { alice, bob, aj, bj } = await pair();
    try {
      await befriend(alice, aj, bob, bj);
      await alice.drop();
      await bob.sendMessage(`${aj}/phone`, 'queued');
      // The window (2 s) passes: the session ends, its contacts see it leave.
      await bob.inbox.next((e) => e.event === 'presence' && e.type === 'unavailable' && e.from === `${aj}/phone`, 'the detached session to expire', 10_000);
      const r = await alice.resume(srv.ports.c2s);
      assert.equal(r.outcome, 'sm_failed');
      assert.equal(r.condition, 'item-not-found');
      assert.ok(r.h !== null, 'the failure carries the h the server had');
      // slixmpp binds a new session after the failure: the queued message comes from offline storage.
      const m = await alice.message((x) => x.body === 'queued', 'the queued message from offline storage');
      assert.ok(m.delay, 'delivered from offline storage with a delay stamp');
      await flush(alice);
      assert.deepEqual(bodiesFrom(alice, bj, []), []);
    } finally {
      await Promise.all([alice.stop(), bob.stop()]);
    }
  });
});


async function waitUntil(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
