// XEP-0352 client state indication with slixmpp (xep_0352): while a client is inactive, presence
// updates and chat states wait (only the latest per contact), a message with a body is delivered at
// once after what was held, and going active delivers the rest.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { flush } from './harness/flush.ts';
import { startTestServer, type TestServer, uniqueName } from './harness/server.ts';
import { SlixClient } from './harness/slix.ts';
import { SlixSmClient, sendChatState } from './harness/slix-sm.ts';

/** Stanzas `c` received from `from` (raw), in order, since `skip`. */
async function receivedFrom(c: SlixClient, from: string, skip = 0): Promise<string[]> {
  const t = await c.traffic();
  return t.received.slice(skip).filter((s) => /^<(message|presence)/.test(s) && s.includes(`from="${from}`));
}

const summary = (s: string) => {
  if (s.startsWith('<presence')) return `presence:${/<show>(\w+)</.exec(s)?.[1] ?? (s.includes('type="unavailable"') ? 'unavailable' : 'available')}`;
  const state = /<(active|composing|paused|inactive|gone) xmlns="http:\/\/jabber.org\/protocol\/chatstates"/.exec(s)?.[1];
  const body = /<body>([^<]*)</.exec(s)?.[1];
  return body !== undefined ? `body:${body}` : `state:${state}`;
};

describe('XEP-0352 client state indication', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startTestServer();
  });
  after(async () => {
    await srv.stop();
  });

  test('while inactive, presence and chat states are held and coalesced; a message flushes them first; active flushes the rest', async () => {
    const [a, b] = [uniqueName('csi-a'), uniqueName('csi-b')];
    const [aj, bj] = await srv.addUsers([a, 'pw-a'], [b, 'pw-b']);
    const alice = await SlixSmClient.connectSm({ jid: `${aj}/phone`, password: 'pw-a', port: srv.ports.c2s });
    const bob = await SlixClient.connect({ jid: `${bj}/desk`, password: 'pw-b', port: srv.ports.c2s });
    try {
      await alice.subscribe(bj!);
      await bob.presence((p) => p.type === 'subscribe', 'the subscription request');
      await bob.approve(aj!);
      await alice.presence((p) => p.type === 'available' && p.from === `${bj}/desk`, 'bob online');
      const skip = (await alice.traffic()).received.length;

      await alice.csi('inactive');
      await flush(alice);
      await bob.sendPresence({ show: 'away' });
      await bob.sendPresence({ show: 'dnd' });
      await sendChatState(bob, `${aj}/phone`, 'composing');
      await sendChatState(bob, `${aj}/phone`, 'paused');
      // Bob's presence actor has broadcast both updates once his roster get is answered.
      await bob.getRoster();
      await bob.sendMessage(`${aj}/phone`, 'urgent');
      await alice.message((m) => m.body === 'urgent', 'the message with a body, at once');
      // Only the latest presence and the latest chat state, and before the message.
      assert.deepEqual((await receivedFrom(alice, `${bj}/desk`, skip)).map(summary), ['presence:dnd', 'state:paused', 'body:urgent']);

      // Held again while inactive, and delivered when the client becomes active.
      await bob.sendPresence({ show: 'xa' });
      await sendChatState(bob, `${aj}/phone`, 'composing');
      await bob.getRoster();
      await flush(bob);
      await alice.csi('active');
      await flush(alice);
      assert.deepEqual((await receivedFrom(alice, `${bj}/desk`, skip)).map(summary), ['presence:dnd', 'state:paused', 'body:urgent', 'presence:xa', 'state:composing']);

      // Active: nothing is held.
      await bob.sendPresence({ show: 'chat' });
      await alice.presence((p) => p.from === `${bj}/desk` && p.show === 'chat', 'a presence update while active');
    } finally {
      await Promise.all([alice.stop(), bob.stop()]);
    }
  });

  test('the stream feature is offered after authentication', async () => {
    const a = uniqueName('csi-f');
    const [aj] = await srv.addUsers([a, 'pw']);
    const alice = await SlixSmClient.connectSm({ jid: `${aj}/x`, password: 'pw', port: srv.ports.c2s });
    try {
      const t = await alice.traffic();
      assert.ok(t.received.some((s) => s.includes('urn:xmpp:csi:0')), 'csi in the stream features');
    } finally {
      await alice.stop();
    }
  });
});
