// Contact-request challenges (#15 item 7): a user sets questions with accepted answers (stored hashed,
// answers.ts); a subscription request (RFC 6121 §3.1) from someone not in her roster is held, durably
// (store, migration 0017), and the requester gets a message with a XEP-0004 form asking one question.
// The requester's client submits the form in a message to her bare JID; the user's session actor takes
// it here. A right answer delivers the held request marked <passed xmlns='urn:parley:challenge:0'/>; a
// wrong one is answered and may be retried up to `maxWrong` times, then the request is declined
// (RFC 6121 §3.2.1 `unsubscribed`) and new ones are declined for `cooldownMs`. Contacts and requests
// with a valid XEP-0379 invitation (the invitations module runs first) are never challenged.
import { randomBytes } from 'node:crypto';
import { type ExtensionModule, HANDLED, PASS, type PresenceEnv, rewrite, type SessionContribution, type SessionEnv } from '@parley/ext';
import { bareOf, tryParseJid } from '@parley/jid';
import { NS } from '@parley/stanza';
import type { ChallengeHold, RosterItem, Store } from '@parley/store';
import { type Element, parseFragment, xml } from '@parley/xml';
import { type CommandRegistry, dataForm, NS_DATA, submittedValues } from '../adhoc/index.ts';
import { answerMatches } from './answers.ts';
import { challengeClearCommand, challengeSetCommand, inviteCommand } from './commands.ts';

export { normaliseAnswer, hashAnswer, answerMatches } from './answers.ts';
export { CHALLENGE_CLEAR_NODE, CHALLENGE_SET_NODE, INVITE_NODE, NS_INVITATION_FORM } from './commands.ts';

export const NS_CHALLENGE = 'urn:parley:challenge:0';

export interface ChallengeOptions {
  commands: CommandRegistry;
  /** Wrong answers after which the request is declined. */
  maxWrong?: number;
  /** How long new requests from a requester who gave too many wrong answers are declined. */
  cooldownMs?: number;
  /** Lifetime of invitations issued with the XEP-0401 command. */
  inviteTtlMs?: number;
  /** The XEP-0401 command issues account invitations (in-band registration with user invitations is on). */
  accountInvites?: boolean;
  /** How long a request waits for an answer before it is dropped (default 7 days). */
  holdMs?: number;
  /** How often every session process looks for expired requests (default hourly). */
  sweepEveryMs?: number;
  now?: () => number;
}

const EXPIRY_BATCH = 100;

/**
 * Drops the requests held longer than `holdMs` without a right answer. The owner never saw them;
 * the requester is told as for a declined request (RFC 6121 §3.2.1: `unsubscribed`, which ends her
 * pending "ask" state instead of leaving it pending forever), with a notice saying why. Each expired
 * hold is removed by one process only (ChallengeRepo.expire), so each requester is told once.
 */
export async function expireHolds(env: Pick<SessionEnv, 'domain' | 'store' | 'tell' | 'log'>, cutoff: Date): Promise<number> {
  let total = 0;
  for (;;) {
    const expired = await env.store.challenges.expire(cutoff, EXPIRY_BATCH);
    for (const hold of expired) {
      sendTo(env, hold.requester, notice(hold.owner, hold.requester, `Your contact request to ${hold.owner} was not answered in time and was dropped.`, 'declined', 0));
      decline(env, hold.owner, hold.requester);
    }
    total += expired.length;
    if (expired.length < EXPIRY_BATCH) break;
  }
  if (total > 0) env.log.info('held contact requests expired', { count: total });
  return total;
}

type Tell = PresenceEnv['tell'];
type Out = { domain: string; tell: Tell };
const isLocal = (env: Out, jid: string) => bareOf(jid).endsWith(`@${env.domain}`);

/** Someone already in her roster: any item that is not just a pending request (RFC 6121 §3.1.3 hidden item). */
const isContact = (item: RosterItem | undefined) => item !== undefined && (!item.hidden || item.subscription !== 'none' || item.approved || item.ask !== null);

function challengeMessage(owner: string, hold: { requester: string; id: string }, question: string, note?: string): Element {
  const text =
    `${note ? `${note} ` : ''}${owner} answers contact requests from people not in the contact list only after a question: "${question}". ` +
    'Answer it in the form (your client shows it); your request waits until then.';
  return xml(
    'message',
    { xmlns: NS.client, from: owner, to: hold.requester, type: 'normal', id: `challenge-${randomBytes(6).toString('hex')}` },
    xml('subject', {}, 'Contact request: a question'),
    xml('body', {}, text),
    // XEP-0004 §3.1 a form in a message (§2: any client may show and submit it); FORM_TYPE per XEP-0068.
    dataForm('form', {
      title: `Contact request to ${owner}`,
      instructions: question,
      fields: [
        { var: 'FORM_TYPE', type: 'hidden', value: NS_CHALLENGE },
        { var: 'challenge', type: 'hidden', value: hold.id },
        { var: 'answer', type: 'text-single', label: question, required: true },
      ],
    }),
  );
}

function notice(owner: string, requester: string, text: string, state: 'passed' | 'wrong' | 'declined', left?: number): Element {
  return xml(
    'message',
    { xmlns: NS.client, from: owner, to: requester, type: 'normal', id: `challenge-${randomBytes(6).toString('hex')}` },
    xml('body', {}, text),
    xml('result', { xmlns: NS_CHALLENGE, state, left: left === undefined ? undefined : String(left) }),
  );
}

/**
 * To the requester's session actor; a requester at another domain gets it through the owner's own
 * actor, which hands what leaves to the federation service (after her privacy lists, as for anything she sends).
 */
const sendTo = (env: Out, requester: string, stanza: Element) => env.tell('session', { kind: 'stanza', key: isLocal(env, requester) ? requester : bareOf(stanza.attr('from') ?? ''), stanza });
// RFC 6121 §3.2.1: a declined request is answered `unsubscribed`, delivered through the requester's presence actor
// (or, for a requester at another domain, the federation service, as the presence actor sends subscription stanzas).
const decline = (env: Out, owner: string, requester: string) =>
  env.tell(isLocal(env, requester) ? 'presence' : 's2s', { kind: 'presence-in', key: requester, stanza: xml('presence', { xmlns: NS.client, type: 'unsubscribed', from: owner, to: requester }) });

/** Delivers a held request again through the owner's presence actor, which lets it through because the hold is 'passed'. */
async function release(store: Store, tell: Tell, hold: ChallengeHold): Promise<void> {
  if (!(await store.challenges.setState(hold.owner, hold.id, 'passed'))) return;
  let stanza: Element;
  try {
    stanza = parseFragment(hold.stanza);
  } catch {
    stanza = xml('presence', { xmlns: NS.client, type: 'subscribe', from: hold.requester, to: hold.owner });
  }
  tell('presence', { kind: 'presence-in', key: hold.owner, stanza });
}

export function challenges(options: ChallengeOptions): ExtensionModule {
  const maxWrong = options.maxWrong ?? 3;
  const cooldownMs = options.cooldownMs ?? 3_600_000;
  const now = options.now ?? Date.now;
  const holdMs = options.holdMs ?? 7 * 86_400_000;

  options.commands.register(challengeSetCommand());
  options.commands.register(
    challengeClearCommand({
      // Nothing is left to ask: the requests that were waiting are delivered, marked as having passed.
      async released(owner, env) {
        for (const hold of await env.store.challenges.pending(owner)) await release(env.store, env.tell, hold);
      },
    }),
  );
  options.commands.register(inviteCommand({ ttlMs: options.inviteTtlMs ?? 7 * 86_400_000, accountInvites: options.accountInvites }));

  async function onAnswer(env: SessionEnv, owner: string, from: string, values: Map<string, string[]>): Promise<void> {
    const id = values.get('challenge')?.[0] ?? '';
    const answer = values.get('answer')?.[0] ?? '';
    const hold = id ? await env.store.challenges.holdById(owner, id) : null;
    if (!hold || hold.requester !== from || hold.state !== 'pending') {
      sendTo(env, from, notice(owner, from, `There is no contact request of yours waiting for an answer from ${owner}.`, 'declined'));
      return;
    }
    const question = (await env.store.challenges.questions(owner)).find((q) => q.id === hold.questionId);
    if (!question) {
      // The question was removed since: nothing left to ask, so the request goes through.
      await release(env.store, env.tell, hold);
      return;
    }
    if (answer.length <= 200 && (await answerMatches(answer, question.answers))) {
      env.log.info('contact-request challenge passed', { owner, requester: from });
      await release(env.store, env.tell, hold);
      sendTo(env, from, notice(owner, from, `Right answer: your contact request was delivered to ${owner}.`, 'passed'));
      return;
    }
    const wrong = await env.store.challenges.addWrong(owner, hold.id);
    if (wrong === null) return; // answered meanwhile
    if (wrong >= maxWrong) {
      env.log.info('contact-request challenge failed: request declined', { owner, requester: from });
      await env.store.challenges.setState(owner, hold.id, 'declined');
      sendTo(env, from, notice(owner, from, `Too many wrong answers: your contact request to ${owner} was declined.`, 'declined', 0));
      decline(env, owner, from);
      return;
    }
    const left = maxWrong - wrong;
    sendTo(env, from, notice(owner, from, `Wrong answer: ${left} attempt(s) left.`, 'wrong', left));
    sendTo(env, from, challengeMessage(owner, hold, question.question, 'Wrong answer.'));
  }

  // The answer to a question: a submitted form in a message to the owner, taken in her session actor.
  const beforeRoute: NonNullable<SessionContribution['beforeRoute']> = async ({ env, key, stanza }) => {
    if (stanza.name !== 'message' || stanza.attr('type') === 'error') return PASS;
    const form = stanza.getChild('x', NS_DATA);
    if (form?.attr('type') !== 'submit') return PASS;
    const values = submittedValues(stanza);
    if (values?.get('FORM_TYPE')?.[0] !== NS_CHALLENGE) return PASS;
    const from = bareOf(stanza.attr('from') ?? '');
    if (!from.includes('@')) return HANDLED;
    await onAnswer(env, key, from, values);
    return HANDLED;
  };

  return {
    name: 'challenges',
    specs: ['RFC 6121 §3.1', 'XEP-0004', 'XEP-0050', 'XEP-0401'],
    disco: [{ on: ['server'], features: [NS_CHALLENGE] }],
    session: {
      periodic: [{ name: 'challenge-expiry', everyMs: options.sweepEveryMs ?? 3_600_000, run: (env) => expireHolds(env, new Date(now() - holdMs)).then(() => {}) }],
      beforeRoute,
    },
    presence: {
      async inbound({ env, key, stanza, roster }) {
        if (stanza.attr('type') !== 'subscribe') return PASS;
        const requester = bareOf(stanza.attr('from') ?? '');
        // Nobody but this module marks a request as having passed: a forged mark is removed.
        const forged = stanza.getChild('passed', NS_CHALLENGE);
        let clean = stanza;
        if (forged) {
          clean = stanza.clone();
          clean.children = clean.children.filter((c) => typeof c === 'string' || !(c.name === 'passed' && c.attr('xmlns') === NS_CHALLENGE));
        }
        const done = forged ? rewrite(clean) : PASS;
        const jid = tryParseJid(requester);
        if (!jid?.local || requester === key || isContact(roster.get(requester))) return done;
        const hold = await env.store.challenges.hold(key, requester);
        // The request released by a right answer: deliver it once, marked.
        if (hold?.state === 'passed' && (await env.store.challenges.take(key, requester, 'passed'))) {
          const marked = clean.clone();
          marked.children.push(xml('passed', { xmlns: NS_CHALLENGE }));
          return rewrite(marked);
        }
        const questions = await env.store.challenges.questions(key);
        if (questions.length === 0) return done;
        if (hold?.state === 'declined' && hold.updatedAt.getTime() + cooldownMs > now()) {
          decline(env, key, requester);
          return HANDLED;
        }
        if (hold?.state === 'pending') {
          // Asking again neither resets the count of wrong answers nor asks a new question.
          const q = questions.find((x) => x.id === hold.questionId);
          if (q) {
            sendTo(env, requester, challengeMessage(key, hold, q.question));
            return HANDLED;
          }
        }
        const q = questions[Math.floor(Math.random() * questions.length)]!;
        const id = randomBytes(12).toString('hex');
        await env.store.challenges.putHold({ owner: key, requester, id, questionId: q.id, stanza: clean.toString(), state: 'pending', wrong: 0 });
        env.log.info('contact request held for a challenge', { owner: key, requester });
        sendTo(env, requester, challengeMessage(key, { requester, id }, q.question));
        return HANDLED;
      },
    },
  };
}
