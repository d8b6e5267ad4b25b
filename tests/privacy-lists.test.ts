// XEP-0016 privacy lists with real clients: xmpp.js manages its lists; a slixmpp stranger and an
// xmpp.js contact see them applied.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { castPerFile } from './harness/cast.ts';
import { flushPresence } from './harness/flush.ts';
import { xml } from './harness/xmppjs.ts';

const NS = 'jabber:iq:privacy';
const T = { timeout: 30_000 };
const cast = castPerFile();

describe('privacy lists (XEP-0016) with real clients', () => {
  test('xmpp.js keeps strangers’ messages out with an active list, hides from a contact with the default list, and declines both', T, async () => {
    const a = await cast.account('plalice');
    const b = await cast.account('plbob');
    const e = await cast.account('pleve');
    const alice = await cast.xmppjs(a);
    alice.xmpp.iqCallee.set(NS, 'query', () => ({}) as never); // acknowledges list pushes (§2.6)
    const bob = await cast.xmppjs(b);
    const eve = await cast.slix(e);
    await alice.send(xml('presence'));
    await bob.send(xml('presence'));
    await bob.send(xml('presence', { to: a.jid, type: 'subscribe' }));
    await alice.next((el) => el.is('presence') && el.attrs.type === 'subscribe', 'bob asking');
    await alice.send(xml('presence', { to: b.jid, type: 'subscribed' }));
    await bob.presence(a.jid, undefined, 'alice available');

    const list = (name: string, ...items: ReturnType<typeof xml>[]) => alice.iq(xml('iq', { type: 'set' }, xml('query', { xmlns: NS }, xml('list', { name }, ...items))));
    const choose = (which: 'active' | 'default', name?: string) => alice.iq(xml('iq', { type: 'set' }, xml('query', { xmlns: NS }, xml(which, name ? { name } : {}))));
    await list('no-strangers', xml('item', { type: 'subscription', value: 'none', action: 'deny', order: '1' }, xml('message')));
    await list('hide-from-bob', xml('item', { type: 'jid', value: b.jid, action: 'deny', order: '1' }, xml('presence-out')));
    const names = await alice.iq(xml('iq', { type: 'get' }, xml('query', { xmlns: NS })));
    assert.deepEqual(names.getChild('query', NS)?.getChildren('list').map((l) => l.attrs.name), ['hide-from-bob', 'no-strangers']);

    await choose('active', 'no-strangers');
    await eve.sendMessage(a.jid, 'hello stranger');
    const bounce = await eve.message((m) => m.type === 'error', 'the bounce');
    assert.equal(bounce.error, 'service-unavailable');
    await choose('active');
    await eve.sendMessage(a.jid, 'hello again');
    await alice.message(e.jid, 'eve’s message once the list is declined');

    await choose('default', 'hide-from-bob');
    await bob.presence(a.jid, 'unavailable', 'alice hidden from bob (§2.10)');
    await alice.send(xml('presence', {}, xml('status', {}, 'hidden')));
    await flushPresence(alice, bob);
    assert.deepEqual(bob.inbox.take((el) => el.is('presence') && (el.attrs.from ?? '').startsWith(a.jid) && el.attrs.type === undefined), []);
    await choose('default');
    const back = await bob.presence(a.jid, undefined, 'alice shown again');
    assert.equal(back.getChildText('status'), 'hidden');
  });
});
