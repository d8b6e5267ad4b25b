// XEP-0191 blocking with real clients: xmpp.js and slixmpp block, are blocked, and unblock.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type Account, castPerFile } from './harness/cast.ts';
import { flush, flushPresence } from './harness/flush.ts';
import { xml, type XmlElement } from './harness/xmppjs.ts';

const NS = 'urn:xmpp:blocking';
const T = { timeout: 30_000 };
const cast = castPerFile();
const account = cast.account;

/** An xmpp.js client that acknowledges blocklist pushes (§3.3). */
async function xmppjs(a: Account) {
  const c = await cast.xmppjs(a);
  c.xmpp.iqCallee.set(NS, 'block', () => ({}) as never);
  c.xmpp.iqCallee.set(NS, 'unblock', () => ({}) as never);
  return c;
}

const errorOf = (el: XmlElement) => el.getChild('error')?.getChildElements().map((c) => c.name);
const from = (el: XmlElement) => el.attrs.from ?? '';

describe('blocking (XEP-0191) with real clients', () => {
  test('xmpp.js: Alice blocks Bob, who sees her go offline and can no longer reach her; she cannot write to him; unblocking shows her again', T, async () => {
    const a = await account('blockalice');
    const b = await account('blockbob');
    const alice = await xmppjs(a);
    const bob = await xmppjs(b);
    await alice.send(xml('presence'));
    await bob.send(xml('presence'));
    await bob.send(xml('presence', { to: a.jid, type: 'subscribe' }));
    await alice.next((e) => e.is('presence') && e.attrs.type === 'subscribe', 'bob asking');
    await alice.send(xml('presence', { to: b.jid, type: 'subscribed' }));
    await bob.presence(a.jid, undefined, 'alice available');

    const list = await alice.iq(xml('iq', { type: 'get' }, xml('blocklist', { xmlns: NS })));
    assert.deepEqual(list.getChild('blocklist', NS)?.getChildren('item'), []);
    await alice.iq(xml('iq', { type: 'set' }, xml('block', { xmlns: NS }, xml('item', { jid: b.jid }))));
    const push = await alice.next((e) => e.is('iq') && e.attrs.type === 'set' && e.getChild('block', NS) !== undefined, 'the block push');
    assert.equal(push.getChild('block', NS)?.getChild('item')?.attrs.jid, b.jid);
    await bob.presence(a.jid, 'unavailable', 'alice gone for bob (§3.3)');

    await bob.send(xml('message', { to: a.jid, type: 'chat', id: 'm1' }, xml('body', {}, 'hello?')));
    const bounced = await bob.next((e) => e.is('message') && e.attrs.type === 'error' && e.attrs.id === 'm1', 'the bounce');
    assert.deepEqual(errorOf(bounced), ['service-unavailable']);
    await assert.rejects(bob.iq(xml('iq', { type: 'get', to: `${a.jid}/js` }, xml('query', { xmlns: 'jabber:iq:version' }))), (e: { condition?: string }) => e.condition === 'service-unavailable');

    await alice.send(xml('message', { to: b.jid, type: 'chat', id: 'm2' }, xml('body', {}, 'psst')));
    const refused = await alice.next((e) => e.is('message') && e.attrs.type === 'error' && e.attrs.id === 'm2', 'the refusal');
    assert.deepEqual(errorOf(refused), ['not-acceptable', 'blocked']);

    await alice.send(xml('presence', {}, xml('status', {}, 'busy')));
    await flushPresence(alice, bob);
    assert.equal(bob.inbox.take((e) => e.is('presence') && from(e).startsWith(a.jid) && e.attrs.type === undefined).length, 0, 'no presence after the block');

    await alice.iq(xml('iq', { type: 'set' }, xml('unblock', { xmlns: NS }, xml('item', { jid: b.jid }))));
    const back = await bob.presence(a.jid, undefined, 'alice shown again (§3.4)');
    assert.equal(back.getChildText('status'), 'busy');
  });

  test('slixmpp: Carol blocks and unblocks an xmpp.js user, and reads her blocklist', T, async () => {
    const c = await account('blockcarol');
    const d = await account('blockdave');
    const carol = await cast.slix(c);
    const dave = await xmppjs(d);
    assert.deepEqual(await carol.blocked(), []);
    await carol.block(d.jid);
    assert.deepEqual(await carol.blocked(), [d.jid]);
    await dave.send(xml('message', { to: c.jid, type: 'chat', id: 'd1' }, xml('body', {}, 'hi carol')));
    const bounced = await dave.next((e) => e.is('message') && e.attrs.id === 'd1', 'the bounce');
    assert.deepEqual(errorOf(bounced), ['service-unavailable']);
    await carol.unblock(d.jid);
    assert.deepEqual(await carol.blocked(), []);
    await dave.send(xml('message', { to: c.jid, type: 'chat', id: 'd2' }, xml('body', {}, 'hi again')));
    const got = await carol.message((m) => m.body === 'hi again', 'dave’s message after the unblock');
    assert.equal(got.from.split('/')[0], d.jid);
    await flush(dave);
    assert.equal(dave.inbox.take((e) => e.attrs.type === 'error').length, 0);
  });
});
