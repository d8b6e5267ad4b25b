// Privacy across the federation (#11 item 1, #15 items 1, 2 and 7) between two Parley servers: blocking
// (XEP-0191) and privacy lists (XEP-0016) apply to remote JIDs in both directions, messages, IQs and
// presence alike, including what the user sends out; a stranger at another domain is asked the user's
// question (contact-request challenges), and the form and its answers travel over s2s.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CHALLENGE_SET_NODE, NS_CHALLENGE } from '@parley/extensions';
import { challengeAnswer as submit } from './harness/challenge.ts';
import { FIRST_CROSSING, flushAcross, parleyPair } from './s2s-pair.ts';
import type { XmlElement, XmppJsClient } from './harness/xmppjs.ts';
import { xml } from './harness/xmppjs.ts';

const T = { timeout: 30_000 };
const pair = parleyPair({ a: ['alice', 'carol'], b: ['bob', 'dave', 'erin'] });
const BLOCKING = 'urn:xmpp:blocking';
const PRIVACY = 'jabber:iq:privacy';
const COMMANDS = 'http://jabber.org/protocol/commands';

const condition = (el: XmlElement) => el.getChild('error')?.getChildElements().find((c) => c.name !== 'text')?.name;
const errorFor = (c: XmppJsClient, name: string, id: string, what: string) => c.next((e) => e.is(name) && e.attrs.type === 'error' && e.attrs.id === id, what);
/** An IQ's error condition (xmpp.js rejects with a StanzaError). */
const iqRefusal = (c: XmppJsClient, iq: XmlElement) => c.iq(iq).then(
  () => 'result',
  (err: { condition?: string }) => err.condition ?? String(err),
);
const saw = (c: XmppJsClient, from: string, text: string) => c.received.some((x) => x.includes(`from="${from}`) && x.includes(text));

describe('privacy across the federation', () => {
  let alice: XmppJsClient;
  let carol: XmppJsClient;
  let bob: XmppJsClient;
  let dave: XmppJsClient;

  test('alice@a.test and bob@b.test subscribe to each other and see each other online', T, async () => {
    [alice, carol] = [await pair.login(pair.a(), 'alice'), await pair.login(pair.a(), 'carol')];
    [bob, dave] = [await pair.login(pair.b(), 'bob'), await pair.login(pair.b(), 'dave')];
    for (const c of [alice, carol, bob, dave]) await c.send(xml('presence'));
    await alice.send(xml('presence', { to: 'bob@b.test', type: 'subscribe' }));
    await bob.next((e) => e.is('presence') && e.attrs.type === 'subscribe', 'the request from a.test', FIRST_CROSSING);
    await bob.send(xml('presence', { to: 'alice@a.test', type: 'subscribed' }));
    await bob.send(xml('presence', { to: 'alice@a.test', type: 'subscribe' }));
    await alice.next((e) => e.is('presence') && e.attrs.type === 'subscribe', 'the request from b.test', FIRST_CROSSING);
    await alice.send(xml('presence', { to: 'bob@b.test', type: 'subscribed' }));
    await alice.presence('bob@b.test/r', undefined, "bob's presence at alice");
    await bob.presence('alice@a.test/r', undefined, "alice's presence at bob");
  });

  test('alice blocks bob@b.test: he sees her go offline, what she sends him is refused with <blocked/>, and nothing of his reaches her', T, async () => {
    await alice.iq(xml('iq', { type: 'set' }, xml('block', { xmlns: BLOCKING }, xml('item', { jid: 'bob@b.test' }))));
    // XEP-0191 §3.3: unavailable presence to the blocked contact before the block applies.
    await bob.presence('alice@a.test/r', 'unavailable', 'her unavailable on block');

    // Outbound (§3.3): not-acceptable with the blocking errors condition, for messages, IQs and directed presence.
    await alice.send(xml('message', { to: 'bob@b.test', type: 'chat', id: 'out1' }, xml('body', {}, 'secret to bob')));
    const refused = await errorFor(alice, 'message', 'out1', 'the refusal of her message');
    assert.equal(condition(refused), 'not-acceptable');
    assert.ok(refused.getChild('error')?.getChild('blocked', 'urn:xmpp:blocking:errors'), '<blocked/> (XEP-0191 §3.3)');
    assert.equal(await iqRefusal(alice, xml('iq', { type: 'get', to: 'bob@b.test/r' }, xml('ping', { xmlns: 'urn:xmpp:ping' }))), 'not-acceptable');
    await alice.send(xml('presence', { to: 'bob@b.test/r', id: 'out2' }));
    assert.equal(condition(await errorFor(alice, 'presence', 'out2', 'the refusal of her directed presence')), 'not-acceptable');
    await alice.send(xml('presence', {}, xml('show', {}, 'dnd'), xml('status', {}, 'busy-while-blocking')));
    await alice.rosterGet(); // her presence actor has broadcast it
    await flushAcross(carol, bob);
    assert.ok(!saw(bob, 'alice@a.test', 'secret to bob'), 'her message never left');
    assert.ok(!saw(bob, 'alice@a.test', 'busy-while-blocking'), 'her presence never reached him');

    // Inbound: his IQ is answered as for an absent resource; his presence is dropped.
    assert.equal(await iqRefusal(bob, xml('iq', { type: 'get', to: 'alice@a.test/r' }, xml('ping', { xmlns: 'urn:xmpp:ping' }))), 'service-unavailable');
    await bob.send(xml('presence', {}, xml('status', {}, 'bob-while-blocked')));
    await bob.rosterGet();
    await flushAcross(dave, alice);
    assert.ok(!saw(alice, 'bob@b.test', 'bob-while-blocked'), 'his presence never reached her');

    // §3.4: on unblock he gets her current presence again.
    await alice.iq(xml('iq', { type: 'set' }, xml('unblock', { xmlns: BLOCKING }, xml('item', { jid: 'bob@b.test' }))));
    const back = await bob.next((e) => e.is('presence') && e.attrs.from === 'alice@a.test/r' && e.attrs.type === undefined, 'her presence on unblock');
    assert.equal(back.getChildText('show'), 'dnd');
  });

  test('a privacy list hides her presence from bob@b.test, refuses messages from erin@b.test and everything she sends to dave@b.test', T, async () => {
    const erin = await pair.login(pair.b(), 'erin');
    const item = (order: number, jid: string, ...kinds: string[]) => xml('item', { type: 'jid', value: jid, action: 'deny', order: String(order) }, ...kinds.map((k) => xml(k)));
    const list = xml('list', { name: 'federated' }, item(1, 'bob@b.test', 'presence-out'), item(2, 'erin@b.test', 'message'), item(3, 'dave@b.test'), xml('item', { action: 'allow', order: '9' }));
    await alice.iq(xml('iq', { type: 'set' }, xml('query', { xmlns: PRIVACY }, list)));
    await alice.iq(xml('iq', { type: 'set' }, xml('query', { xmlns: PRIVACY }, xml('active', { name: 'federated' }))));
    // XEP-0016 §2.10: a list that now hides her from a subscriber sends him unavailable.
    await bob.presence('alice@a.test/r', 'unavailable', 'her unavailable when the list hides her');
    await alice.send(xml('presence', {}, xml('status', {}, 'hidden-from-bob')));
    await alice.rosterGet();
    await flushAcross(carol, bob);
    assert.ok(!saw(bob, 'alice@a.test', 'hidden-from-bob'), 'presence-out denied');

    // A session hidden from him is offline to him on every channel (docs/privacy.md): his IQ to it is
    // answered as for an absent resource (RFC 6121 §8.5.3.2.3).
    assert.equal(await iqRefusal(bob, xml('iq', { type: 'get', to: 'alice@a.test/r' }, xml('query', { xmlns: 'jabber:iq:version' }))), 'service-unavailable');
    // Messages from erin are refused as by an account that cannot take them (XEP-0016 §2.14).
    await erin.send(xml('message', { to: 'alice@a.test', type: 'chat', id: 'in2' }, xml('body', {}, 'from erin')));
    assert.equal(condition(await errorFor(erin, 'message', 'in2', 'the refusal at erin')), 'service-unavailable');
    // An item naming no stanza kind denies what she sends too (§2.13): not-acceptable (XEP-0191 §3.3 error).
    await alice.send(xml('message', { to: 'dave@b.test', type: 'chat', id: 'out3' }, xml('body', {}, 'to dave')));
    assert.equal(condition(await errorFor(alice, 'message', 'out3', 'the refusal of her message to dave')), 'not-acceptable');
    await alice.send(xml('presence', { to: 'dave@b.test', type: 'subscribe', id: 'out4' }));
    assert.equal(condition(await errorFor(alice, 'presence', 'out4', 'the refusal of her request to dave')), 'not-acceptable');
    await flushAcross(carol, dave);
    assert.ok(!saw(dave, 'alice@a.test', 'to dave'), 'nothing reached dave');
    assert.ok(!dave.received.some((x) => x.includes('type="subscribe"') && x.includes('alice@a.test')), 'no request reached dave');
    await alice.iq(xml('iq', { type: 'set' }, xml('query', { xmlns: PRIVACY }, xml('active'))));
  });
});

describe('contact-request challenges across the federation', () => {
  const challengeId = (m: XmlElement) => m.getChild('x', 'jabber:x:data')?.getChildren('field').find((f) => f.attrs.var === 'challenge')?.getChildText('value') ?? '';

  test('a stranger at b.test is asked carol@a.test’s question over s2s; a wrong then a right answer delivers the request marked as passed', T, async () => {
    const carol = await pair.login(pair.a(), 'carol');
    const start = await carol.iq(xml('iq', { type: 'set', to: 'a.test' }, xml('command', { xmlns: COMMANDS, node: CHALLENGE_SET_NODE, action: 'execute' })));
    const sessionid = start.getChild('command', COMMANDS)?.attrs.sessionid;
    const form = xml('x', { xmlns: 'jabber:x:data', type: 'submit' }, xml('field', { var: 'question' }, xml('value', {}, 'Where did we meet?')), xml('field', { var: 'answers' }, xml('value', {}, 'Verona')));
    const saved = await carol.iq(xml('iq', { type: 'set', to: 'a.test' }, xml('command', { xmlns: COMMANDS, node: CHALLENGE_SET_NODE, sessionid, action: 'complete' }, form)));
    assert.equal(saved.getChild('command', COMMANDS)?.attrs.status, 'completed');
    await carol.send(xml('presence'));

    const dave = await pair.login(pair.b(), 'dave');
    await dave.send(xml('presence'));
    await dave.send(xml('presence', { to: 'carol@a.test', type: 'subscribe' }));
    const asked = await dave.next((e) => e.is('message') && e.attrs.from === 'carol@a.test' && !!e.getChild('x', 'jabber:x:data'), 'the challenge over s2s', FIRST_CROSSING);
    assert.equal(asked.getChild('x', 'jabber:x:data')?.getChildren('field').find((f) => f.attrs.var === 'answer')?.attrs.label, 'Where did we meet?');
    const id = challengeId(asked);
    await dave.send(submit('carol@a.test', id, 'Mantua'));
    const wrong = await dave.next((e) => e.is('message') && !!e.getChild('result', NS_CHALLENGE), 'the wrong-answer notice');
    assert.equal(wrong.getChild('result', NS_CHALLENGE)?.attrs.state, 'wrong');
    assert.equal(wrong.getChild('result', NS_CHALLENGE)?.attrs.left, '2');
    await flushAcross(dave, carol);
    assert.ok(!carol.received.some((x) => x.includes('type="subscribe"') && x.includes('dave@b.test')), 'held while unanswered');

    await dave.send(submit('carol@a.test', id, ' verona '));
    const req = await carol.next((e) => e.is('presence') && e.attrs.type === 'subscribe' && e.attrs.from === 'dave@b.test', 'the released request');
    assert.ok(req.getChild('passed', NS_CHALLENGE), 'marked as having passed');
    await dave.next((e) => e.is('message') && e.getChild('result', NS_CHALLENGE)?.attrs.state === 'passed', 'the right-answer notice');
  });

  test('a slixmpp stranger at b.test who answers wrong three times is declined with unsubscribed; carol never sees the request', T, async () => {
    const carol = await pair.login(pair.a(), 'carol');
    const erin = await pair.slix(pair.b(), 'erin');
    await erin.command({ cmd: 'send_presence', to: 'carol@a.test', type: 'subscribe' });
    const asked = (await erin.inbox.next((e) => e.event === 'challenge_form' && String(e.from).startsWith('carol@a.test'), 'the challenge form', FIRST_CROSSING)) as unknown as { fields: Record<string, string[]> };
    const challenge = asked.fields.challenge?.[0] ?? '';
    for (const guess of ['Rome', 'Milan']) {
      await erin.command({ cmd: 'challenge_answer', to: 'carol@a.test', challenge, answer: guess });
      await erin.inbox.next((e) => e.event === 'challenge_form' && String(e.from).startsWith('carol@a.test'), 'the form again');
    }
    await erin.command({ cmd: 'challenge_answer', to: 'carol@a.test', challenge, answer: 'Paris' });
    await erin.presence((p) => p.type === 'unsubscribed' && p.from.startsWith('carol@a.test'), 'declined over s2s (RFC 6121 §3.2.1)');
    await carol.ping();
    assert.ok(!carol.received.some((x) => x.includes('type="subscribe"') && x.includes('erin@b.test')), 'carol never saw it');
  });
});
