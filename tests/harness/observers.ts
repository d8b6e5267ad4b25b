// The invisibility observer test of issue 15 item 3, shared by its embedded and cluster variants
// (tests/invisibility-observers.test.ts, tests/cluster/scenarios/invisibility.ts): the channels of
// docs/privacy.md probed by one observer against one target, as a transcript to compare.
import assert from 'node:assert/strict';
import type { Account } from './cast.ts';
import { type XmppJsClient, xml, type XmlElement } from './xmppjs.ts';

/** Opens an xmpp.js session of `a` with `resource` (on whichever server or edge the variant picks). */
export type Connect = (a: Account, resource: string) => Promise<XmppJsClient>;

/** The targets' resource. */
export const RESOURCE = 'phone';

const condition = (el: XmlElement) => el.getChild('error')?.getChildElements().find((c) => c.name !== 'text')?.name ?? '?';
const outcome = (el: XmlElement) => `${el.name}:${el.attrs.type ?? 'available'}${el.attrs.type === 'error' ? `:${condition(el)}` : ''}`;

/**
 * How long no answer must have come before a transcript is taken. 400 ms failed twice in CI's cluster
 * run (two test files at a time on 2 cores, a presence process starved for longer than that), and a
 * late answer lands in one transcript only; 1.5 s costs the cluster test about 20 s in all.
 */
const QUIET_MS = 1500;

/**
 * Waits until no stanza matching `pred` has reached `c` for `quietMs` (at most `maxMs` in all). The
 * answers to probes and subscription requests come from the presence actors, which no round trip of
 * the observer's orders against (in cluster mode they are other processes than the session actor the
 * IQs go through), so a flush cannot prove they are all in; a quiet period after the flush can.
 */
async function quiet(c: XmppJsClient, pred: (el: XmlElement) => boolean, quietMs = QUIET_MS, maxMs = 20_000): Promise<void> {
  const end = Date.now() + maxMs;
  let seen = c.inbox.count(pred);
  let since = Date.now();
  while (Date.now() < end && Date.now() - since < quietMs) {
    await new Promise((r) => setTimeout(r, 50));
    const now = c.inbox.count(pred);
    if (now !== seen) {
      seen = now;
      since = Date.now();
    }
  }
}

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

export const PAYLOADS: Array<[string, () => XmlElement]> = [
  ['version', () => xml('query', { xmlns: 'jabber:iq:version' })],
  ['ping', () => xml('ping', { xmlns: 'urn:xmpp:ping' })],
  ['disco#info', () => xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })],
  ['disco#items', () => xml('query', { xmlns: 'http://jabber.org/protocol/disco#items' })],
  ['last activity', () => xml('query', { xmlns: 'jabber:iq:last' })],
  ['unknown', () => xml('query', { xmlns: 'urn:example:nobody-knows' })],
];

/** Everything `observer` can learn about `target` through the channels of docs/privacy.md. */
export async function transcript(connect: Connect, observer: Account, target: Account): Promise<Record<string, string[]>> {
  const o = await connect(observer, `probe-${target.user}`);
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
  const again = await connect(observer, `login-${target.user}`);
  await again.send(xml('presence'));
  await again.rosterGet();
  await o.ping();
  const answers = (el: XmlElement) => fromTarget(el) && !el.is('iq');
  await Promise.all([quiet(o, answers), quiet(again, (el) => fromTarget(el) && el.is('presence'))]);
  out['answers to messages, presence and subscription'] = o.inbox.take(answers).map((el) => `${outcome(el)}#${el.attrs.id ?? ''}`).sort();
  out['presence seen on login'] = again.inbox.take((el) => fromTarget(el) && el.is('presence')).map(outcome).sort();
  await o.stop();
  await again.stop();
  return out;
}

export interface Cast {
  /** Olivia stays offline; Ivy is online and invisible, showing herself to `friend` only. */
  olivia: Account;
  ivy: Account;
  stranger: Account;
  blocked: Account;
  contact: Account;
  friend: Account;
}

/**
 * The same relationships for both targets: the contact and the friend are subscribed, the blocked
 * user is blocked, and each logged out once with the status 'gone fishing'. Then Ivy logs in
 * invisible (XEP-0186), sends presence and shows herself to the friend by directed presence.
 * Returns Ivy's invisible session.
 */
export async function setUp(connect: Connect, cast: Cast): Promise<XmppJsClient> {
  const { olivia, ivy, blocked, contact, friend } = cast;
  for (const target of [olivia, ivy]) {
    const t = await connect(target, RESOURCE);
    await t.send(xml('presence'));
    for (const who of [contact, friend]) {
      const c = await connect(who, `sub-${target.user}`);
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
  const ivyOnline = await connect(ivy, RESOURCE);
  await ivyOnline.iq(xml('iq', { type: 'set' }, xml('invisible', { xmlns: 'urn:xmpp:invisible:1' })));
  await ivyOnline.send(xml('presence'));
  await ivyOnline.send(xml('presence', { to: friend.jid }));
  await ivyOnline.ping();
  return ivyOnline;
}

/** Each observer's transcripts of Olivia and Ivy are equal; the friend's are not (the probes can see a difference). */
export async function compareObservers(connect: Connect, cast: Cast): Promise<void> {
  const { olivia, ivy, stranger, blocked, contact, friend } = cast;
  for (const observer of [stranger, blocked, contact]) {
    const offline = await transcript(connect, observer, olivia);
    const invisible = await transcript(connect, observer, ivy);
    for (const channel of Object.keys(offline)) {
      const seen = `${observer.user}: ${channel}: invisible ${JSON.stringify(invisible[channel])}, offline ${JSON.stringify(offline[channel])}`;
      assert.deepEqual(invisible[channel], offline[channel], seen);
    }
    if (observer === contact) assert.deepEqual(invisible['iq to bare JID: last activity'], ['result:last{offline,gone fishing}'], `her last real logout: ${JSON.stringify(invisible['iq to bare JID: last activity'])}`);
  }
  const friendOffline = await transcript(connect, friend, olivia);
  const friendInvisible = await transcript(connect, friend, ivy);
  assert.notDeepEqual(friendInvisible, friendOffline, 'the friend she showed herself to sees her');
  assert.deepEqual(friendInvisible['iq to full JID: ping'], ['result:'], `the friend reaches her client: ${JSON.stringify(friendInvisible['iq to full JID: ping'])}`);
}
