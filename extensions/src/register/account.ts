// XEP-0077 for a signed-in account: §3.3 password change and §3.2 removal of the account.
import type { LocalIqContext, LocalIqReply } from '@parley/ext';
import { JidError, prepareLocalpart } from '@parley/jid';
import { deriveAllCredentials } from '@parley/sasl';
import { iqResult } from '@parley/stanza';
import type { Element } from '@parley/xml';
import { type RegistrationEnv, refused } from './shared.ts';
import { passwordProblem } from './password-policy.ts';
import type { Submitted } from './query.ts';

function accountOf(ctx: LocalIqContext): { username: string; bare: string } {
  const bare = ctx.stream.account();
  if (!bare) throw new Error('an established stream has an account');
  return { username: bare.slice(0, bare.indexOf('@')), bare };
}

/**
 * §3.3: the new password replaces every SCRAM credential; the store ends the account's FAST tokens
 * with the old password (XEP-0484 §4). Other sessions stay: they proved the old password already.
 */
export async function changePassword(env: RegistrationEnv, iq: Element, ctx: LocalIqContext, submitted: Submitted): Promise<Element> {
  const { username, bare } = accountOf(ctx);
  let named: string | null = null;
  try {
    named = submitted.username === undefined ? username : prepareLocalpart(submitted.username.trim());
  } catch (err) {
    if (!(err instanceof JidError)) throw err;
  }
  // §3.3: the username must be the account's own.
  if (named !== username) return refused(iq, { condition: 'not-authorized', text: 'you can change only your own password' });
  const weak = passwordProblem(submitted.password ?? '', { minLength: env.options.passwordMinLength, username });
  if (weak) return refused(iq, { condition: 'not-acceptable', text: weak });
  const credentials = await deriveAllCredentials(submitted.password ?? '', env.options.scramIterations);
  if (!(await ctx.store.users.setCredentials(username, ctx.domain, credentials))) {
    return refused(iq, { condition: 'not-authorized', text: 'this account no longer exists' });
  }
  env.outcomes.inc({ outcome: 'password-changed' });
  ctx.stream.log.info('password changed in band', { account: bare });
  return iqResult(iq);
}

/**
 * §3.2: the account and what the server kept for it go (the users store's delete); the client gets
 * its result, then every stream of the account, this one included, is closed with not-authorized
 * (§3.2: the server SHOULD end the entity's other sessions).
 */
export async function removeAccount(env: RegistrationEnv, iq: Element, ctx: LocalIqContext): Promise<LocalIqReply> {
  const { username, bare } = accountOf(ctx);
  if (!(await ctx.store.users.delete(username, ctx.domain))) return refused(iq, { condition: 'not-authorized', text: 'this account no longer exists' });
  env.outcomes.inc({ outcome: 'removed' });
  ctx.stream.log.info('account removed in band', { account: bare });
  const others = (await ctx.stream.location.resources(bare)).filter((e) => e.conn !== ctx.stream.id);
  return {
    reply: iqResult(iq),
    after: () => {
      for (const e of others) ctx.stream.kick(e, 'not-authorized', 'the account was removed');
      ctx.stream.streamError('not-authorized', 'the account was removed');
    },
  };
}
