// XEP-0012 last activity with real clients: slixmpp asks the server about an xmpp.js user.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { castPerFile } from './harness/cast.ts';
import { xml } from './harness/xmppjs.ts';

const T = { timeout: 30_000 };
const cast = castPerFile();

describe('last activity (XEP-0012) with real clients', () => {
  test('slixmpp is refused until subscribed, then sees 0 while Alice is online and her logout status after', T, async () => {
    const a = await cast.account('lastalice');
    const b = await cast.account('lastbob');
    const alice = await cast.xmppjs(a);
    await alice.send(xml('presence'));
    const bob = await cast.slix(b);
    await assert.rejects(bob.lastActivity(a.jid), (e: { condition?: string }) => e.condition === 'forbidden');

    await bob.subscribe(a.jid);
    await alice.next((el) => el.is('presence') && el.attrs.type === 'subscribe', 'bob asking');
    await alice.send(xml('presence', { to: b.jid, type: 'subscribed' }));
    await bob.presence((p) => p.type === 'subscribed', 'the approval');
    assert.deepEqual(await bob.lastActivity(a.jid), { seconds: 0, status: null });

    await alice.send(xml('presence', { type: 'unavailable' }, xml('status', {}, 'Heading home')));
    await bob.presence((p) => p.from.startsWith(a.jid) && p.type === 'unavailable', 'alice leaving');
    const after = await bob.lastActivity(a.jid);
    assert.ok(after.seconds >= 1);
    assert.equal(after.status, 'Heading home');
  });
});
