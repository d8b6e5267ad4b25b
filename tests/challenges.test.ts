// Contact-request challenges (#15 item 7) and XEP-0401 user invitations (item 8) with real clients.
// A user sets a question with an ad-hoc command; a stranger's subscription request is held until the
// stranger answers the data form sent to them; wrong answers are counted and end in a decline;
// contacts and invited users are not challenged; a user mints an invitation with
// urn:xmpp:invite#invite and a friend uses it.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CHALLENGE_CLEAR_NODE, CHALLENGE_SET_NODE, INVITE_NODE, NS_CHALLENGE } from '@parley/extensions';
import { castPerFile } from './harness/cast.ts';
import { challengeAnswer as submit } from './harness/challenge.ts';
import { flush } from './harness/flush.ts';
import { slixProfile } from './harness/profile.ts';
import type { SlixClient } from './harness/slix.ts';
import { type XmlElement, xml } from './harness/xmppjs.ts';

const T = { timeout: 30_000 };
const cast = castPerFile();
const COMMANDS = 'http://jabber.org/protocol/commands';

interface ChallengeForm {
  from: string;
  fields: Record<string, string[]>;
  question: string;
}
const slixForm = (c: SlixClient, from: string) =>
  c.inbox.next((e) => e.event === 'challenge_form' && String(e.from).startsWith(from), `a challenge form from ${from}`) as unknown as Promise<ChallengeForm>;
const slixAnswer = (c: SlixClient, to: string, challenge: string, answer: string) => c.command({ cmd: 'challenge_answer', to, challenge, answer });

/** The form a challenge message of xmpp.js carries: the hidden challenge id and the question. */
function formOf(m: XmlElement): { id: string; question: string } {
  const x = m.getChild('x', 'jabber:x:data');
  assert.equal(x?.attrs.type, 'form');
  const field = (v: string) => x?.getChildren('field').find((f) => f.attrs.var === v);
  assert.equal(field('FORM_TYPE')?.getChildText('value'), NS_CHALLENGE);
  return { id: field('challenge')?.getChildText('value') ?? '', question: field('answer')?.attrs.label ?? '' };
}

describe('contact-request challenges', () => {
  test('slixmpp sets a question; an xmpp.js stranger is held, answers wrong then right; the request arrives marked; a contact is not asked', T, async () => {
    const [a, s, c] = [await cast.account('chalice'), await cast.account('chstranger'), await cast.account('chcontact')];
    const alice = await cast.slix(a);
    const cmd = slixProfile(alice);
    // XEP-0050 §2.2 / XEP-0401 §3: the commands are listed under the server's commands node.
    const nodes = (await cmd.commands()).map((i) => i.node);
    for (const n of [CHALLENGE_SET_NODE, CHALLENGE_CLEAR_NODE, INVITE_NODE]) assert.ok(nodes.includes(n), `${n} listed`);
    const first = await cmd.command(CHALLENGE_SET_NODE);
    assert.equal(first.status, 'executing');
    const done = await cmd.command(CHALLENGE_SET_NODE, { action: 'complete', sessionid: first.sessionid, values: { question: 'Which city did we meet in?', answers: 'Lyon\nParis', mode: 'add' } });
    assert.equal(done.status, 'completed');

    // A contact (Alice asked Carol first) is not challenged.
    const carol = await cast.xmppjs(c);
    await carol.send(xml('presence'));
    await alice.command({ cmd: 'send_presence', to: c.jid, type: 'subscribe' });
    await carol.next((e) => e.is('presence') && e.attrs.type === 'subscribe', 'Alice’s request');
    await carol.send(xml('presence', { to: a.jid, type: 'subscribe' }));
    const fromCarol = (await alice.inbox.next((e) => e.event === 'subscribe_request' && String(e.from) === c.jid, 'Carol’s request')) as unknown as { passed: boolean };
    assert.equal(fromCarol.passed, false);

    const stranger = await cast.xmppjs(s);
    await stranger.send(xml('presence'));
    await stranger.send(xml('presence', { to: a.jid, type: 'subscribe' }, xml('passed', { xmlns: NS_CHALLENGE })));
    const asked = await stranger.next((e) => e.is('message') && e.attrs.from === a.jid && !!e.getChild('x', 'jabber:x:data'), 'the challenge');
    const { id, question } = formOf(asked);
    assert.equal(question, 'Which city did we meet in?');
    await flush(alice);
    assert.ok(!(await alice.traffic()).received.some((x) => x.includes('type="subscribe"') && x.includes(s.jid)), 'the request is held');

    await stranger.send(submit(a.jid, id, 'Berlin'));
    const wrong = await stranger.next((e) => e.is('message') && !!e.getChild('result', NS_CHALLENGE), 'wrong-answer notice');
    assert.equal(wrong.getChild('result', NS_CHALLENGE)?.attrs.state, 'wrong');
    assert.equal(wrong.getChild('result', NS_CHALLENGE)?.attrs.left, '2');
    await stranger.send(submit(a.jid, id, '  PARIS '));
    const req = (await alice.inbox.next((e) => e.event === 'subscribe_request' && String(e.from) === s.jid, 'the request, released')) as unknown as { passed: boolean };
    assert.equal(req.passed, true);
    await stranger.next((e) => e.is('message') && e.getChild('result', NS_CHALLENGE)?.attrs.state === 'passed', 'right-answer notice');
  });

  test('xmpp.js sets a question; a slixmpp stranger gives three wrong answers and is declined; an invitation from the XEP-0401 command bypasses the question', T, async () => {
    const [b, s, f] = [await cast.account('chbob'), await cast.account('chslix'), await cast.account('chfriend')];
    const bob = await cast.xmppjs(b);
    const start = await bob.iq(xml('iq', { type: 'set', to: cast.server().domain }, xml('command', { xmlns: COMMANDS, node: CHALLENGE_SET_NODE, action: 'execute' })));
    const sessionid = start.getChild('command', COMMANDS)?.attrs.sessionid;
    const form = xml(
      'x',
      { xmlns: 'jabber:x:data', type: 'submit' },
      xml('field', { var: 'question' }, xml('value', {}, 'My dog’s name?')),
      xml('field', { var: 'answers' }, xml('value', {}, 'Rex')),
    );
    const saved = await bob.iq(xml('iq', { type: 'set', to: cast.server().domain }, xml('command', { xmlns: COMMANDS, node: CHALLENGE_SET_NODE, sessionid, action: 'complete' }, form)));
    assert.equal(saved.getChild('command', COMMANDS)?.attrs.status, 'completed');
    await bob.send(xml('presence'));

    const slix = await cast.slix(s);
    await slix.command({ cmd: 'send_presence', to: b.jid, type: 'subscribe' });
    const asked = await slixForm(slix, b.jid);
    assert.equal(asked.question, 'My dog’s name?');
    const challenge = asked.fields.challenge?.[0] ?? '';
    for (const guess of ['Max', 'Bella']) {
      await slixAnswer(slix, b.jid, challenge, guess);
      await slixForm(slix, b.jid);
    }
    await slixAnswer(slix, b.jid, challenge, 'Fido');
    await slix.presence((p) => p.type === 'unsubscribed' && p.from.startsWith(b.jid), 'declined after three wrong answers');
    await slixAnswer(slix, b.jid, challenge, 'Rex');
    await slix.message((m) => m.from.startsWith(b.jid) && m.body.includes('no contact request'), 'a late right answer is not taken');
    await flush(bob);
    assert.ok(!bob.received.some((x) => x.includes('type="subscribe"') && x.includes(s.jid)), 'Bob never saw the request');

    // XEP-0401 §5.1: Bob mints an invitation; his friend subscribes with it and is not asked.
    const res = await bob.iq(xml('iq', { type: 'set', to: cast.server().domain }, xml('command', { xmlns: COMMANDS, node: INVITE_NODE, action: 'execute' })));
    const command = res.getChild('command', COMMANDS);
    assert.equal(command?.attrs.status, 'completed');
    const result = command?.getChild('x', 'jabber:x:data');
    assert.equal(result?.attrs.type, 'result');
    const value = (v: string) => result?.getChildren('field').find((x) => x.attrs.var === v)?.getChildText('value') ?? '';
    assert.equal(value('FORM_TYPE'), 'urn:xmpp:invite#invitation');
    assert.match(value('uri'), new RegExp(`^xmpp:${b.jid}\\?roster;preauth=[A-Za-z0-9_-]+$`));
    assert.match(value('expire'), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const friend = await cast.slix(f);
    await friend.command({ cmd: 'subscribe_preauth', to: b.jid, token: value('uri').split('preauth=')[1] });
    await friend.presence((p) => p.type === 'subscribed' && p.from.startsWith(b.jid), 'approved by the invitation');
    await flush(friend);
    assert.ok(!(await friend.traffic()).received.some((x) => x.includes('jabber:x:data')), 'the friend was not challenged');
  });
});
