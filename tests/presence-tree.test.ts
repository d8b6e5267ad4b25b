// The pruned presence tree with real clients (xmpp.js): a publisher's status changes reach exactly her
// available subscribers as they log in and out, go unavailable and come back, and as subscriptions end
// and start again — and after the tree is built, no change of hers reads a subscriber's location
// (`parley_presence_location_lookups_total` on /metrics).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type Account, castPerFile } from './harness/cast.ts';
import { flushPresence } from './harness/flush.ts';
import { type XmppJsClient, xml, type XmlElement } from './harness/xmppjs.ts';

const T = { timeout: 60_000 };
const cast = castPerFile();

async function lookups(): Promise<Record<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${cast.server().ports.http}/metrics`)).text();
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/^parley_presence_location_lookups_total\{reason="(\w+)"\} (\d+)/gm)) out[m[1]!] = Number(m[2]);
  return out;
}
const subscriberLookups = (l: Record<string, number>) => (l.build ?? 0) + (l.repair ?? 0) + (l.roster ?? 0);

async function online(a: Account, resource: string): Promise<XmppJsClient> {
  const c = await cast.xmppjs(a, resource);
  await c.rosterGet();
  await c.send(xml('presence'));
  return c;
}

/** `who` subscribes to `target` and `target` approves; both stay online. */
async function subscribe(target: XmppJsClient, targetJid: string, who: XmppJsClient, whoJid: string): Promise<void> {
  await who.send(xml('presence', { to: targetJid, type: 'subscribe' }));
  await target.next((el) => el.is('presence') && el.attrs.type === 'subscribe' && el.attrs.from === whoJid, 'the request');
  await target.send(xml('presence', { to: whoJid, type: 'subscribed' }));
  await who.next((el) => el.is('presence') && el.attrs.type === undefined && (el.attrs.from ?? '').startsWith(`${targetJid}/`), 'her presence after approval');
}

const status = (text: string) => xml('presence', null, xml('status', null, text));
const hasStatus = (from: string, text: string) => (el: XmlElement) => el.is('presence') && (el.attrs.from ?? '').startsWith(`${from}/`) && el.getChildText('status') === text;

/** Proves `c` did not get `from`'s status `text`: everything her presence actor sent before is in. */
async function notReceived(publisher: XmppJsClient, c: XmppJsClient, from: string, text: string): Promise<void> {
  await flushPresence(publisher, c);
  const seen = c.received.filter((e) => e.startsWith('<presence') && e.includes(`from="${from}/`) && e.includes(`<status>${text}</status>`));
  assert.deepEqual(seen, [], `${text} must not reach this resource`);
}

describe('presence along the pruned tree, with xmpp.js clients', () => {
  test('subscribers logging out are pruned and logging in unpruned; her changes read no subscriber location', T, async () => {
    const [alice, bob, carol] = await Promise.all([cast.account('ptalice'), cast.account('ptbob'), cast.account('ptcarol')]);
    const a = await online(alice, 'phone');
    const b = await online(bob, 'pc');
    const c = await online(carol, 'pc');
    await subscribe(a, alice.jid, b, bob.jid);
    await subscribe(a, alice.jid, c, carol.jid);

    await a.send(status('first'));
    await b.next(hasStatus(alice.jid, 'first'), 'bob gets her first status');
    await c.next(hasStatus(alice.jid, 'first'), 'carol gets her first status');
    const before = await lookups();

    await b.stop();
    await a.send(status('while bob is away'));
    await c.next(hasStatus(alice.jid, 'while bob is away'), 'carol still gets it');
    const b2 = await online(bob, 'laptop');
    await b2.next(hasStatus(alice.jid, 'while bob is away'), 'her current status when he logs in (probe answer)');
    await a.send(status('bob is back'));
    await b2.next(hasStatus(alice.jid, 'bob is back'), 'his new resource is in her tree');
    await c.next(hasStatus(alice.jid, 'bob is back'), 'carol too');
    assert.equal(subscriberLookups(await lookups()), subscriberLookups(before), 'no subscriber was looked up for her changes');
    await Promise.all([a.stop(), b2.stop(), c.stop()]);
  });

  test('an unavailable but connected subscriber gets nothing until he is available again (RFC 6121 §4.4.2)', T, async () => {
    const [alice, dave] = await Promise.all([cast.account('ptalice'), cast.account('ptdave')]);
    const a = await online(alice, 'phone');
    const d = await online(dave, 'pc');
    await subscribe(a, alice.jid, d, dave.jid);
    await d.send(xml('presence', { type: 'unavailable' }));
    await d.rosterGet(); // his presence actor handled the unavailable (it answers the roster get after it)
    await a.send(status('hidden from dave'));
    await notReceived(a, d, alice.jid, 'hidden from dave');
    await d.send(xml('presence'));
    await d.next(hasStatus(alice.jid, 'hidden from dave'), 'her current status when he is available again');
    await a.send(status('dave sees this'));
    await d.next(hasStatus(alice.jid, 'dave sees this'), 'back in her tree');
    await Promise.all([a.stop(), d.stop()]);
  });

  test('a cancelled subscription prunes the contact and a new one unprunes him', T, async () => {
    const [alice, erin] = await Promise.all([cast.account('ptalice'), cast.account('pterin')]);
    const a = await online(alice, 'phone');
    const e = await online(erin, 'pc');
    await subscribe(a, alice.jid, e, erin.jid);
    await a.send(xml('presence', { to: erin.jid, type: 'unsubscribed' }));
    await e.next((el) => el.is('presence') && el.attrs.type === 'unsubscribed', 'her cancellation');
    await a.send(status('after cancelling'));
    await notReceived(a, e, alice.jid, 'after cancelling');
    await subscribe(a, alice.jid, e, erin.jid);
    await a.send(status('subscribed again'));
    await e.next(hasStatus(alice.jid, 'subscribed again'), 'in her tree again');
    await Promise.all([a.stop(), e.stop()]);
  });
});
