// XEP-0050 commands: a user sets and clears her contact-request questions, and (XEP-0401 §5.1)
// issues her own invitations.
import { randomBytes } from 'node:crypto';
import type { SessionEnv, SessionIqRequest } from '@parley/ext';
import { issueAccountInvitation, issueRosterInvitation } from '@parley/store';

import { type AdhocCommand, type CommandStep, dataForm, type FormField } from '../adhoc/index.ts';
import { hashAnswer, normaliseAnswer } from './answers.ts';

export const CHALLENGE_SET_NODE = 'urn:parley:challenge:set';
export const CHALLENGE_CLEAR_NODE = 'urn:parley:challenge:clear';
/** XEP-0401 §3: the node of the user invitation command. */
export const INVITE_NODE = 'urn:xmpp:invite#invite';
export const NS_INVITATION_FORM = 'urn:xmpp:invite#invitation';

export const MAX_QUESTIONS = 5;
const MAX_ANSWERS = 10;

/** Only this server's own accounts have contact requests to protect and contacts to invite. */
const ownAccount = (ctx: SessionIqRequest) => ctx.from.local !== null && ctx.from.domain === ctx.domain;

export interface CommandHooks {
  /** Called when an account's questions were cleared: the requests held for it are delivered. */
  released(owner: string, env: SessionEnv): Promise<void>;
}

export function challengeSetCommand(): AdhocCommand<null> {
  return {
    node: CHALLENGE_SET_NODE,
    name: 'Set a question for contact requests',
    allowed: ownAccount,
    async start(ctx) {
      const current = await ctx.env.store.challenges.questions(ctx.from.bareString());
      const fields: FormField[] = [
        { type: 'fixed', value: current.length ? `Your questions: ${current.map((q) => q.question).join(' | ')}` : 'You have no questions: contact requests reach you directly.' },
        { var: 'question', type: 'text-single', label: 'Question a stranger must answer before a contact request reaches you', required: true },
        { var: 'answers', type: 'text-multi', label: 'Accepted answers, one per line (case and spacing do not matter)', required: true },
        { var: 'mode', type: 'list-single', label: 'Your other questions', value: 'add', options: [{ label: 'Keep them', value: 'add' }, { label: 'Replace them', value: 'replace' }] },
      ];
      return { status: 'executing', state: null, actions: ['complete'], form: dataForm('form', { title: 'Contact-request question', fields }) };
    },
    async next(ctx, { values }): Promise<CommandStep<null>> {
      if (!values) return { status: 'error', condition: 'bad-request', text: 'submit the form', badPayload: true };
      const question = (values.get('question')?.[0] ?? '').trim();
      // text-multi: each <value/> is a line (XEP-0004 §3.3); a single value with newlines is split too.
      const answers = (values.get('answers') ?? []).flatMap((v) => v.split('\n')).map((a) => a.trim()).filter((a) => normaliseAnswer(a) !== '');
      const mode = values.get('mode')?.[0] ?? 'add';
      if (question === '' || question.length > 300) return { status: 'error', condition: 'bad-request', text: 'the question must have 1 to 300 characters', badPayload: true };
      if (answers.length === 0 || answers.length > MAX_ANSWERS || answers.some((a) => a.length > 200)) {
        return { status: 'error', condition: 'bad-request', text: `give 1 to ${MAX_ANSWERS} answers of at most 200 characters`, badPayload: true };
      }
      if (mode !== 'add' && mode !== 'replace') return { status: 'error', condition: 'bad-request', text: 'mode is add or replace', badPayload: true };
      const owner = ctx.from.bareString();
      const kept = mode === 'add' ? await ctx.env.store.challenges.questions(owner) : [];
      if (kept.length >= MAX_QUESTIONS) return { status: 'error', condition: 'not-allowed', text: `at most ${MAX_QUESTIONS} questions: replace them or clear them first` };
      const digests = [];
      for (const a of answers) digests.push(await hashAnswer(a));
      await ctx.env.store.challenges.setQuestions(owner, [...kept, { id: randomBytes(6).toString('hex'), question, answers: digests }]);
      return { status: 'completed', notes: [{ type: 'info', text: `Saved: ${kept.length + 1} question(s). Contact requests from people not in your roster wait for a right answer.` }] };
    },
  };
}

export function challengeClearCommand(hooks: CommandHooks): AdhocCommand<null> {
  return {
    node: CHALLENGE_CLEAR_NODE,
    name: 'Clear my contact-request questions',
    allowed: ownAccount,
    async start(ctx) {
      const owner = ctx.from.bareString();
      await ctx.env.store.challenges.setQuestions(owner, []);
      await hooks.released(owner, ctx.env);
      return { status: 'completed', notes: [{ type: 'info', text: 'Cleared: contact requests reach you directly; requests that were waiting were delivered.' }] };
    },
    async next() {
      return { status: 'error', condition: 'bad-request', text: 'this command has one stage' };
    },
  };
}

/**
 * XEP-0401 §5.1: a user invitation, at once, as a result form with the XEP-0379 URI and its expiry;
 * with `accountInvites` (in-band registration with user invitations on) an account invitation, whose
 * URI carries `ibr=y`: the invitee may register with it, or subscribe if she has an account.
 */
export function inviteCommand(opts: { ttlMs: number; accountInvites?: boolean }): AdhocCommand<null> {
  return {
    node: INVITE_NODE,
    name: 'Invite someone to be my contact',
    allowed: ownAccount,
    async start(ctx) {
      const inviter = ctx.from.bareString();
      const issue = opts.accountInvites ? issueAccountInvitation : issueRosterInvitation;
      const inv = await issue(ctx.env.store.invitations, { domain: ctx.domain, inviter, ttlMs: opts.ttlMs, createdBy: inviter });
      ctx.env.log.info('invitation issued by its inviter', { inviter, invitation: inv.id, account: opts.accountInvites === true });
      // §5.1: ibr=y only when the server lets the invitee register with it ("MUST omit" otherwise).
      const form = dataForm('result', {
        fields: [
          { var: 'FORM_TYPE', type: 'hidden', value: NS_INVITATION_FORM },
          { var: 'uri', type: 'text-single', label: 'Invitation', value: inv.uri },
          { var: 'expire', type: 'text-single', label: 'Expires', value: inv.expiresAt.replace(/\.\d{3}Z$/, 'Z') },
        ],
      });
      return { status: 'completed', form, notes: [{ type: 'info', text: 'Share this link once; it works for one person.' }] };
    },
    async next() {
      return { status: 'error', condition: 'bad-request', text: 'this command has one stage' };
    },
  };
}

