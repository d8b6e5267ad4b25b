// The challenges module in the session and presence actors (tests/harness/actors.ts): the held request
// lives in the store, the answer is taken in the owner's session actor, the released request is
// delivered marked once, wrong answers end in a decline and a cool-down, clearing releases holds.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createLogger } from '@parley/log';
import type { SessionEnv } from '@parley/ext';
import type { Element } from '@parley/xml';
import { actorWorldPerFile, DOMAIN, type Resource, type Scene } from '../../../tests/harness/actors.ts';
import { expireHolds, NS_CHALLENGE } from './index.ts';

const world = actorWorldPerFile();
const COMMANDS = 'http://jabber.org/protocol/commands';
const DATA = 'jabber:x:data';

async function setQuestion(s: Scene, owner: Resource, question: string, answers: string): Promise<void> {
  await s.stanza('session', owner.bare, `<iq type="set" id="q1" to="example.com"><command xmlns="${COMMANDS}" node="urn:parley:challenge:set" action="execute"/></iq>`, owner);
  const sessionid = s.received(owner).find((e) => e.attr('id') === 'q1')?.getChild('command', COMMANDS)?.attr('sessionid');
  await s.stanza(
    'session',
    owner.bare,
    `<iq type="set" id="q2" to="example.com"><command xmlns="${COMMANDS}" node="urn:parley:challenge:set" sessionid="${sessionid}" action="complete">` +
      `<x xmlns="${DATA}" type="submit"><field var="question"><value>${question}</value></field><field var="answers"><value>${answers}</value></field></x></command></iq>`,
    owner,
  );
  assert.equal(s.received(owner).find((e) => e.attr('id') === 'q2')?.getChild('command', COMMANDS)?.attr('status'), 'completed');
  s.forget();
}

const forms = (got: Element[]) => got.filter((e) => e.name === 'message' && e.getChild('x', DATA)?.attr('type') === 'form');
const challengeId = (m: Element | undefined) => m?.getChild('x', DATA)?.getChildren('field').find((f) => f.attr('var') === 'challenge')?.getChildText('value') ?? '';
const results = (got: Element[]) => got.flatMap((e) => (e.name === 'message' && e.getChild('result', NS_CHALLENGE) ? [e.getChild('result', NS_CHALLENGE)!.attr('state')] : []));
const subscribes = (got: Element[]) => got.filter((e) => e.name === 'presence' && e.attr('type') === 'subscribe');
const answer = (s: Scene, from: Resource, owner: string, id: string, text: string) =>
  s.stanza(
    'session',
    owner,
    `<message to="${owner}" type="normal"><x xmlns="${DATA}" type="submit"><field var="FORM_TYPE"><value>${NS_CHALLENGE}</value></field>` +
      `<field var="challenge"><value>${id}</value></field><field var="answer"><value>${text}</value></field></x></message>`,
    from,
  );

describe('contact-request challenges in the actors', () => {
  test('a stranger’s request is held with a form; a wrong then a right answer delivers it once, marked (a forged mark removed)', async () => {
    const { s, alice, bob, edge, alicePhone } = await world.aliceAndBob();
    const bobPhone = await s.online(bob, 'phone', edge);
    await setQuestion(s, alicePhone, 'Our town?', 'Lyon');

    await s.stanza('presence', bob, `<presence type="subscribe" to="${alice}"><passed xmlns="${NS_CHALLENGE}"/></presence>`, bobPhone);
    assert.deepEqual(subscribes(s.received(alicePhone)), [], 'held');
    const form = forms(s.received(bobPhone))[0];
    assert.equal(form?.attr('from'), alice);
    const id = challengeId(form);
    assert.ok(id);
    s.forget();

    await answer(s, bobPhone, alice, id, 'Paris');
    assert.deepEqual(results(s.received(bobPhone)), ['wrong']);
    assert.equal(forms(s.received(bobPhone)).length, 1, 'asked again');
    assert.deepEqual(s.received(alicePhone), [], 'the answer never reaches her clients');
    s.forget();

    await answer(s, bobPhone, alice, id, 'lyon');
    const [req, ...more] = subscribes(s.received(alicePhone));
    assert.equal(req?.attr('from'), bob);
    assert.equal(req?.getChildren('passed', NS_CHALLENGE).length, 1);
    assert.equal(more.length, 0);
    assert.deepEqual(results(s.received(bobPhone)), ['passed']);
    s.forget();

    // The hold is spent: a replayed answer changes nothing.
    await answer(s, bobPhone, alice, id, 'lyon');
    assert.deepEqual(subscribes(s.received(alicePhone)), []);
    assert.deepEqual(results(s.received(bobPhone)), ['declined']);
  });

  test('asking again keeps the count; the third wrong answer declines, and new requests are declined during the cool-down', async () => {
    const { s, alice, bob, edge, alicePhone } = await world.aliceAndBob();
    const bobPhone = await s.online(bob, 'phone', edge);
    await setQuestion(s, alicePhone, 'Our town?', 'Lyon');
    await s.stanza('presence', bob, `<presence type="subscribe" to="${alice}"/>`, bobPhone);
    const id = challengeId(forms(s.received(bobPhone))[0]);
    await answer(s, bobPhone, alice, id, 'a');
    await answer(s, bobPhone, alice, id, 'b');
    await s.stanza('presence', bob, `<presence type="subscribe" to="${alice}"/>`, bobPhone);
    assert.equal(challengeId(forms(s.received(bobPhone)).at(-1)), id, 'the same challenge again');
    s.forget();
    await answer(s, bobPhone, alice, id, 'c');
    assert.deepEqual(results(s.received(bobPhone)), ['declined']);
    assert.ok(s.received(bobPhone).some((e) => e.name === 'presence' && e.attr('type') === 'unsubscribed' && e.attr('from') === alice));
    s.forget();
    await s.stanza('presence', bob, `<presence type="subscribe" to="${alice}"/>`, bobPhone);
    assert.deepEqual(forms(s.received(bobPhone)), [], 'no new question');
    assert.ok(s.received(bobPhone).some((e) => e.name === 'presence' && e.attr('type') === 'unsubscribed'));
    assert.deepEqual(subscribes(s.received(alicePhone)), []);
  });

  test('clearing the questions delivers the waiting requests; without questions nobody is held', async () => {
    const { s, alice, bob, edge, alicePhone } = await world.aliceAndBob();
    const bobPhone = await s.online(bob, 'phone', edge);
    await setQuestion(s, alicePhone, 'Our town?', 'Lyon');
    await s.stanza('presence', bob, `<presence type="subscribe" to="${alice}"/>`, bobPhone);
    assert.deepEqual(subscribes(s.received(alicePhone)), []);
    await s.stanza('session', alice, `<iq type="set" id="c1" to="example.com"><command xmlns="${COMMANDS}" node="urn:parley:challenge:clear" action="execute"/></iq>`, alicePhone);
    assert.equal(subscribes(s.received(alicePhone))[0]?.attr('from'), bob);
    s.forget();
    const carol = await s.account('carol');
    const carolPhone = await s.online(carol, 'phone', edge);
    await s.stanza('presence', carol, `<presence type="subscribe" to="${alice}"/>`, carolPhone);
    assert.deepEqual(forms(s.received(carolPhone)), []);
    assert.equal(subscribes(s.received(alicePhone))[0]?.getChild('passed', NS_CHALLENGE), undefined);
  });

  test('a request left unanswered past the hold time is dropped by the sweep; the requester is told it was declined, once', async () => {
    const { s, alice, bob, edge, alicePhone } = await world.aliceAndBob();
    const bobPhone = await s.online(bob, 'phone', edge);
    await setQuestion(s, alicePhone, 'Our town?', 'Lyon');
    await s.stanza('presence', bob, `<presence type="subscribe" to="${alice}"/>`, bobPhone);
    assert.equal(forms(s.received(bobPhone)).length, 1, 'held with a question');
    s.forget();
    // The sweep as the session service runs it (`session.periodic`), told through the bus like the actors' env.
    const told: Promise<void>[] = [];
    const env = { domain: DOMAIN, store: s.store, log: createLogger({ level: 'silent' }), tell: ((service, msg) => void told.push(s.request(service, msg))) satisfies SessionEnv['tell'] };
    await expireHolds(env, new Date(Date.now() - 7 * 86_400_000));
    assert.equal((await s.store.challenges.hold(alice, bob))?.state, 'pending', 'not old enough yet');
    await expireHolds(env, new Date(Date.now() + 1000));
    await Promise.all(told);
    assert.equal(await s.store.challenges.hold(alice, bob), null, 'dropped');
    assert.deepEqual(results(s.received(bobPhone)), ['declined']);
    assert.ok(s.received(bobPhone).some((e) => e.name === 'presence' && e.attr('type') === 'unsubscribed' && e.attr('from') === alice), 'RFC 6121 §3.2.1 unsubscribed');
    assert.deepEqual(s.received(alicePhone), [], 'the owner never sees it');
    s.forget();
    await expireHolds(env, new Date(Date.now() + 1000));
    await Promise.all(told);
    assert.deepEqual(s.received(bobPhone), [], 'told once');
    // No cool-down after an expiry: asking again is held with a question again.
    await s.stanza('presence', bob, `<presence type="subscribe" to="${alice}"/>`, bobPhone);
    assert.equal(forms(s.received(bobPhone)).length, 1);
  });
});
