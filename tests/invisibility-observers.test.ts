// Item 3 of the privacy issue, checked channel by channel: to a stranger, a blocked user and a
// contact, an invisible user is indistinguishable from an offline one (docs/privacy.md lists the
// channels). Each observer runs the same probes against Olivia (offline) and Ivy (online,
// invisible), who have the same relationships; the transcripts must be equal. A contact Ivy sent
// directed presence to must see a difference, which shows the probes can see one.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type Account, castPerFile } from './harness/cast.ts';
import { type XmppJsClient, xml, type XmlElement } from './harness/xmppjs.ts';

const T = { timeout: 120_000 };
const cast = castPerFile();
const RESOURCE = 'phone';

const condition = (el: XmlElement) => el.getChild('error')?.getChildElements().find((c) => c.name !== 'text')?.name ?? '?';
const outcome = (el: XmlElement) => `${el.name}:${el.attrs.type ?? 'available'}${el.attrs.type === 'error' ? `:${condition(el)}` : ''}`;

/** An IQ get and its answer: `result:<payload>` or `error:<condition>`. */
async function ask(c: XmppJsClient, to: string, payload: XmlElement): Promise<string> {
  try {
    const r = await c.iq(xml('iq', { type: 'get', to }, payload));
    const child = r.getChildElements()[0];
    if (child?.attrs.seconds !== undefined) return `result:last{${child.attrs.seconds === '0' ? 'online' : 'offline'},${child.text()}}`;
    return `result:${child ? `${child.name}{${child.getChildElements().map((e) => e.attrs.var ?? e.name).join(',')}}` : ''}`;
  } catch (err) {
    return `error:${(err as { condition?: string }).condition ?? String(err)}`;
  }
}

const PAYLOADS: Array<[string, () => XmlElement]> = [
  ['version', () => xml('query', { xmlns: 'jabber:iq:version' })],
  ['ping', () => xml('ping', { xmlns: 'urn:xmpp:ping' })],
  ['disco#info', () => xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })],
  ['disco#items', () => xml('query', { xmlns: 'http://jabber.org/protocol/disco#items' })],
  ['last activity', () => xml('query', { xmlns: 'jabber:iq:last' })],
  ['unknown', () => xml('query', { xmlns: 'urn:example:nobody-knows' })],
];

/** Everything `observer` can learn about `target` through the channels of docs/privacy.md. */
async function transcript(observer: Account, target: Account): Promise<Record<string, string[]>> {
  const o = await cast.xmppjs(observer, `probe-${target.user}`);
  await o.send(xml('presence'));
  const out: Record<string, string[]> = {};
  const full = `${target.jid}/${RESOURCE}`;
  const fromTarget = (el: XmlElement) => (el.attrs.from ?? '').split('/')[0] === target.jid;
  for (const [name, payload] of PAYLOADS) {
    out[`iq to full JID: ${name}`] = [await ask(o, full, payload())];
    out[`iq to bare JID: ${name}`] = [await ask(o, target.jid, payload())];
  }
  // Messages, directed presence and a subscription request: whatever comes back. The IQ to the bare
  // JID is handled by the target's session actor after the messages, so their answers are in first.
  await o.send(xml('message', { to: full, type: 'chat', id: 'to-full' }, xml('body', {}, 'are you there?')));
  await o.send(xml('message', { to: target.jid, type: 'chat', id: 'to-bare' }, xml('body', {}, 'are you there?')));
  await o.send(xml('message', { to: target.jid, type: 'headline', id: 'headline' }, xml('body', {}, 'news')));
  await o.send(xml('presence', { to: full }));
  await o.send(xml('presence', { to: target.jid, type: 'subscribe' }));
  await o.send(xml('presence', { to: target.jid, type: 'probe' }));
  await ask(o, target.jid, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' }));
  await o.rosterGet();
  // A second resource of the observer logs in: the probe answers it gets (RFC 6121 §4.3).
  const again = await cast.xmppjs(observer, `login-${target.user}`);
  await again.send(xml('presence'));
  await again.rosterGet();
  await o.ping();
  out['answers to messages, presence and subscription'] = o.inbox.take((el) => fromTarget(el) && !el.is('iq')).map((el) => `${outcome(el)}#${el.attrs.id ?? ''}`).sort();
  out['presence seen on login'] = again.inbox.take((el) => fromTarget(el) && el.is('presence')).map(outcome).sort();
  await o.stop();
  await again.stop();
  return out;
}

describe('an invisible user looks offline to everyone not allowed to see her (embedded)', () => {
  test('stranger, blocked user and contact get the same transcript from Olivia (offline) and Ivy (invisible); a contact she showed herself to does not', T, async () => {
    const olivia = await cast.account('obsolivia');
    const ivy = await cast.account('obsivy');
    const stranger = await cast.account('obsstranger');
    const blocked = await cast.account('obsblocked');
    const contact = await cast.account('obscontact');
    const friend = await cast.account('obsfriend');
    const targets = { olivia, ivy };
    // The same relationships for both: the contact and the friend are subscribed, the blocked user is blocked.
    for (const target of Object.values(targets)) {
      const t = await cast.xmppjs(target, RESOURCE);
      await t.send(xml('presence'));
      for (const who of [contact, friend]) {
        const c = await cast.xmppjs(who, `sub-${target.user}`);
        await c.send(xml('presence'));
        await c.send(xml('presence', { to: target.jid, type: 'subscribe' }));
        await t.next((el) => el.is('presence') && el.attrs.type === 'subscribe' && el.attrs.from === who.jid, 'the request');
        await t.send(xml('presence', { to: who.jid, type: 'subscribed' }));
        await c.presence(target.jid, undefined, 'the target’s presence');
        await c.stop();
      }
      await t.iq(xml('iq', { type: 'set' }, xml('block', { xmlns: 'urn:xmpp:blocking' }, xml('item', { jid: blocked.jid }))));
      await t.send(xml('presence', { type: 'unavailable' }, xml('status', {}, 'gone fishing')));
      await t.stop();
    }
    // Olivia stays offline. Ivy logs in invisible, sends presence, and shows herself to the friend only.
    const ivyOnline = await cast.xmppjs(ivy, RESOURCE);
    await ivyOnline.iq(xml('iq', { type: 'set' }, xml('invisible', { xmlns: 'urn:xmpp:invisible:1' })));
    await ivyOnline.send(xml('presence'));
    await ivyOnline.send(xml('presence', { to: friend.jid }));
    await ivyOnline.ping();

    for (const observer of [stranger, blocked, contact]) {
      const offline = await transcript(observer, olivia);
      const invisible = await transcript(observer, ivy);
      for (const channel of Object.keys(offline)) assert.deepEqual(invisible[channel], offline[channel], `${observer.user}: ${channel}`);
      if (observer === contact) assert.deepEqual(invisible['iq to bare JID: last activity'], ['result:last{offline,gone fishing}'], 'her last real logout');
    }
    const friendOffline = await transcript(friend, olivia);
    const friendInvisible = await transcript(friend, ivy);
    assert.notDeepEqual(friendInvisible, friendOffline, 'the friend she showed herself to sees her');
    assert.deepEqual(friendInvisible['iq to full JID: ping'], ['result:'], 'the friend reaches her client');
  });
});
