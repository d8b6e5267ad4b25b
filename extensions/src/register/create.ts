// XEP-0077 §3.1: a new account, before authentication. The order of the checks is chosen so that
// nothing about existing accounts is told to someone who may not register: the address's budget,
// then the invitation, then the password, then the name.
import type { LocalIqContext } from '@parley/ext';
import { JidError, prepareLocalpart } from '@parley/jid';
import { deriveAllCredentials } from '@parley/sasl';
import { iqResult } from '@parley/stanza';
import { invitationDigest } from '@parley/store';
import type { Element } from '@parley/xml';
import { type RegistrationEnv, type Refusal, rateRefusal, refused } from './shared.ts';
import { passwordProblem } from './password-policy.ts';
import { NS_REGISTER, readSubmitted } from './query.ts';

export async function createAccount(env: RegistrationEnv, iq: Element, ctx: LocalIqContext): Promise<Element> {
  const outcome = await attempt(env, iq, ctx);
  if ('condition' in outcome) {
    env.outcomes.inc({ outcome: outcome.outcome });
    ctx.stream.log.info('in-band registration refused', { reason: outcome.outcome, address: ctx.address });
    return refused(iq, outcome);
  }
  env.outcomes.inc({ outcome: 'registered' });
  env.tokens.delete(ctx.stream.id);
  ctx.stream.log.info('account registered in band', { account: outcome.account, address: ctx.address, invitation: outcome.invitation });
  // §3.1: the account exists; the client now authenticates as usual (no implicit login).
  return iqResult(iq);
}

type Outcome = (Refusal & { outcome: string }) | { account: string; invitation: string | null };

async function attempt(env: RegistrationEnv, iq: Element, ctx: LocalIqContext): Promise<Outcome> {
  const submitted = readSubmitted(iq.getChild('query', NS_REGISTER)!);
  if (submitted.remove) return { condition: 'not-authorized', text: 'sign in to remove your account', outcome: 'refused-request' };
  // Every attempt counts, so that neither names nor tokens can be tried faster than the limit.
  const verdict = await ctx.limiter.take(`ibr:${ctx.address}`, env.rule);
  if (!verdict.ok) return { ...rateRefusal(verdict.retryAfterMs), outcome: 'refused-rate' };

  const token = submitted.token || env.tokens.get(ctx.stream.id);
  if (env.options.newAccounts === 'invite' && !token) {
    return { condition: 'not-allowed', text: 'registration on this server needs an invitation: give its token', outcome: 'refused-token' };
  }
  // A token given to an open server still counts: it makes the account the inviter's contact.
  const digest = token ? invitationDigest(token) : null;
  if (digest && !(await ctx.store.invitations.peek(digest, 'account'))) {
    return { condition: 'forbidden', text: 'this invitation is not valid (unknown, used, expired or revoked)', outcome: 'refused-token' };
  }

  // §3.1: not-acceptable when required information is missing or unacceptable.
  if (!submitted.username || submitted.password === undefined) {
    return { condition: 'not-acceptable', text: 'a username and a password are required', outcome: 'refused-request' };
  }
  let username: string;
  try {
    username = prepareLocalpart(submitted.username.trim());
  } catch (err) {
    if (!(err instanceof JidError)) throw err;
    return { condition: 'not-acceptable', text: `this username cannot be used: ${err.message}`, outcome: 'refused-name' };
  }
  const weak = passwordProblem(submitted.password, { minLength: env.options.passwordMinLength, username });
  if (weak) return { condition: 'not-acceptable', text: weak, outcome: 'refused-password' };

  // §3.1: conflict when the name is taken. A look-alike of an existing name (UTS #39, the users
  // store refuses it too) is taken as well from the registrant's point of view; the text says why
  // without naming the other account, which would hand an impostor the name to imitate.
  const lookalike = () => ({ condition: 'conflict' as const, text: 'this username looks like an existing one (Unicode look-alike characters); choose another', outcome: 'refused-lookalike' });
  const taken = { condition: 'conflict' as const, text: 'this username is taken', outcome: 'refused-taken' };
  if (await ctx.store.users.exists(username, ctx.domain)) return taken;
  if ((await ctx.store.users.lookalikeOf(username, ctx.domain)) !== null) return lookalike();
  const credentials = await deriveAllCredentials(submitted.password, env.options.scramIterations);
  if (!(await ctx.store.users.create(username, ctx.domain, credentials))) {
    // Registered meanwhile by someone else: the same name, or a look-alike (one atomic insert refuses both).
    return (await ctx.store.users.lookalikeOf(username, ctx.domain)) !== null ? lookalike() : taken;
  }
  const account = `${username}@${ctx.domain}`;
  if (!digest) return { account, invitation: null };
  // Spent only now, so a refused registration leaves the invitation usable; a second registration
  // racing with the same token loses here and its account is removed again.
  const inv = await ctx.store.invitations.redeem(digest, account, { kind: 'account' });
  if (!inv) {
    await ctx.store.users.delete(username, ctx.domain);
    return { condition: 'forbidden', text: 'this invitation was used meanwhile', outcome: 'refused-token' };
  }
  return { account, invitation: inv.id };
}
