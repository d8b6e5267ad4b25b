// Publisher control (issue 15 item 5): the ad-hoc command `list-subscribers` (XEP-0050) lists who
// receives the user's presence and cancels the ones she picks: the contact gets her `unsubscribed` and
// an unavailable presence, both rosters are pushed (RFC 6121 §3.2), and she is no longer broadcast to them.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type Account, castPerFile } from './harness/cast.ts';
import { flush } from './harness/flush.ts';
import { slixProfile } from './harness/profile.ts';
import type { SlixClient } from './harness/slix.ts';
import { type XmppJsClient, xml, type XmlElement } from './harness/xmppjs.ts';

const T = { timeout: 60_000 };
const cast = castPerFile();
const NS_COMMANDS = 'http://jabber.org/protocol/commands';
const NS_DATA = 'jabber:x:data';
const NODE = 'list-subscribers';

/** `who` subscribes to `target` (whose client approves); returns the subscriber's client, still online. */
async function subscribeTo(target: XmppJsClient | SlixClient, targetJid: string, who: Account): Promise<XmppJsClient> {
  const c = await cast.xmppjs(who, 'sub');
  await c.rosterGet(); // roster pushes go to resources that requested the roster (RFC 6121 §2.1.6)
  await c.send(xml('presence'));
  await c.send(xml('presence', { to: targetJid, type: 'subscribe' }));
  if ('xmpp' in target) {
    await target.next((el) => el.is('presence') && el.attrs.type === 'subscribe' && el.attrs.from === who.jid, 'the request');
    await target.send(xml('presence', { to: who.jid, type: 'subscribed' }));
  } else {
    await target.presence((p) => p.type === 'subscribe' && p.from === who.jid, 'the request');
    await target.approve(who.jid);
  }
  await c.presence(`${targetJid}/phone`, undefined, 'the target’s presence');
  return c;
}

const rosterItem = (el: XmlElement, jid: string) => el.getChild('query', 'jabber:iq:roster')?.getChildren('item').find((i) => i.attrs.jid === jid);

/** What a cancelled contact must see: her unsubscribed, her unavailable, and his roster pushed to none. */
async function expectCancelled(contact: XmppJsClient, aliceJid: string): Promise<void> {
  await contact.next((el) => el.is('presence') && el.attrs.type === 'unavailable' && (el.attrs.from ?? '').startsWith(`${aliceJid}/`), 'her unavailable presence');
  await contact.next((el) => el.is('presence') && el.attrs.type === 'unsubscribed' && el.attrs.from === aliceJid, 'her unsubscribed');
  await contact.next((el) => el.is('iq') && el.attrs.type === 'set' && rosterItem(el, aliceJid)?.attrs.subscription === 'none', 'his roster push');
}

describe('list-subscribers: the user lists and cancels who sees her presence', () => {
  test('xmpp.js: the form lists the subscribers; cancelling one pushes her roster and ends his view of her presence', T, async () => {
    const alice = await cast.account('pcalice');
    const bob = await cast.account('pcbob');
    const carol = await cast.account('pccarol');
    const a = await cast.xmppjs(alice, 'phone');
    await a.rosterGet();
    await a.send(xml('presence'));
    const b = await subscribeTo(a, alice.jid, bob);
    const c = await subscribeTo(a, alice.jid, carol);

    const first = await a.iq(xml('iq', { type: 'set', to: cast.server().domain }, xml('command', { xmlns: NS_COMMANDS, node: NODE, action: 'execute' })));
    const cmd = first.getChild('command', NS_COMMANDS)!;
    assert.equal(cmd.attrs.status, 'executing');
    const field = cmd.getChild('x', NS_DATA)!.getChildren('field').find((f) => f.attrs.var === 'subscribers')!;
    assert.equal(field.attrs.type, 'list-multi');
    assert.deepEqual(field.getChildren('option').map((o) => o.getChildText('value')).sort(), [bob.jid, carol.jid].sort());

    const submit = xml('x', { xmlns: NS_DATA, type: 'submit' }, xml('field', { var: 'subscribers' }, xml('value', {}, bob.jid)));
    const done = await a.iq(xml('iq', { type: 'set', to: cast.server().domain }, xml('command', { xmlns: NS_COMMANDS, node: NODE, sessionid: cmd.attrs.sessionid, action: 'complete' }, submit)));
    assert.equal(done.getChild('command', NS_COMMANDS)!.attrs.status, 'completed');
    // RFC 6121 §3.2.2: her roster push says Bob no longer has a subscription from her.
    await a.next((el) => el.is('iq') && el.attrs.type === 'set' && rosterItem(el, bob.jid)?.attrs.subscription === 'none', 'her roster push');
    await expectCancelled(b, alice.jid);

    // Her next presence reaches Carol and not Bob.
    await a.send(xml('presence', {}, xml('status', {}, 'after the cancel')));
    await c.next((el) => el.is('presence') && el.getChildText('status') === 'after the cancel', 'her presence to carol');
    await flush(a);
    await flush(b);
    assert.ok(!b.received.some((s) => s.includes('after the cancel')), 'the cancelled contact no longer gets her presence');

    // The command now lists Carol only.
    const again = await a.iq(xml('iq', { type: 'set', to: cast.server().domain }, xml('command', { xmlns: NS_COMMANDS, node: NODE })));
    const options = again.getChild('command', NS_COMMANDS)!.getChild('x', NS_DATA)!.getChildren('field')[0]!.getChildren('option').map((o) => o.getChildText('value'));
    assert.deepEqual(options, [carol.jid]);
  });

  test('slixmpp (xep_0050): lists both, cancels one, and a JID that is not a subscriber is refused', T, async () => {
    const alice = await cast.account('pcsalice');
    const bob = await cast.account('pcsbob');
    const carol = await cast.account('pcscarol');
    const a = await cast.slix(alice, 'phone');
    await a.sendPresence();
    const b = await subscribeTo(a, alice.jid, bob);
    const c = await subscribeTo(a, alice.jid, carol);

    // XEP-0050 §2.2: the command is listed on the server's commands node.
    const listed = await slixProfile(a).commands();
    assert.ok(listed.some((i) => i.node === 'list-subscribers' && i.jid === cast.server().domain));

    const refused = await a.command({ cmd: 'list_subscribers', cancel: ['mallory@nowhere.example'] });
    assert.equal(refused.error, 'bad-request');

    const r = await a.command({ cmd: 'list_subscribers', cancel: [carol.jid] });
    assert.deepEqual((r.listed as string[]).sort(), [bob.jid, carol.jid].sort());
    assert.equal(r.status, 'completed');
    assert.deepEqual(r.cancelled, [carol.jid]);
    assert.deepEqual(r.remaining, [bob.jid]);
    await expectCancelled(c, alice.jid);
    const roster = await a.getRoster();
    assert.equal(roster.find((i) => i.jid === carol.jid)?.subscription, 'none');
    assert.equal(roster.find((i) => i.jid === bob.jid)?.subscription, 'from');
    await flush(b);
    assert.ok(!b.received.some((s) => s.includes('unsubscribed')), 'bob is untouched');
  });
});
