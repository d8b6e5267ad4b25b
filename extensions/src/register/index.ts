// XEP-0077 in-band registration as one module: new accounts before authentication (§3.1), off
// unless configured and then only with an invitation (XEP-0445 tokens, minted by `parley invite
// create --account` or a user's XEP-0401 command) unless registration is open; and, for every
// signed-in account, its registration status, password change (§3.3) and account removal (§3.2).
// Everything is answered at the edge (edge-local IQs): no actor holds state for an account that
// does not exist yet, and removal must close the account's streams.
import type { ExtensionModule, LocalIqContext, LocalIqReply } from '@parley/ext';
import { iqResult } from '@parley/stanza';
import { invitationDigest } from '@parley/store';
import { type Element, xml } from '@parley/xml';
import { Counter, type Registry } from 'prom-client';
import { rateRefusal, type RegistrationEnv, refused } from './shared.ts';
import { changePassword, removeAccount } from './account.ts';
import { NS_INVITE_FEATURE, NS_PARS, NS_REGISTER, NS_REGISTER_FEATURE, preauthToken, readSubmitted, registeredStatus, registrationForm } from './query.ts';
import { createAccount } from './create.ts';

export { passwordProblem } from './password-policy.ts';
export { NS_INVITE_FEATURE, NS_REGISTER, NS_REGISTER_FEATURE } from './query.ts';

export interface RegistrationOptions {
  /** New accounts in band: not at all (the default), only with an account invitation, or for anyone. */
  newAccounts: 'off' | 'invite' | 'open';
  passwordMinLength: number;
  /** Registration attempts (and token checks) per address an hour; a burst of as many. */
  perAddressPerHour: number;
  scramIterations: number;
  registry?: Registry;
}

export function inBandRegistration(options: RegistrationOptions): ExtensionModule {
  const outcomes = new Counter({
    name: 'parley_inband_registration_total',
    help: 'XEP-0077 requests by outcome: registered, refused (rate, token, password, name, taken), password-changed, removed',
    labelNames: ['outcome'] as const,
    registers: options.registry ? [options.registry] : [],
  });
  const env: RegistrationEnv = {
    options,
    outcomes,
    tokens: new Map(),
    rule: { perSec: options.perAddressPerHour / 3600, burst: options.perAddressPerHour },
  };
  const offered = options.newAccounts !== 'off';
  const needsToken = options.newAccounts === 'invite';
  return {
    name: 'register',
    specs: ['XEP-0077', 'XEP-0445'],
    disco: [{ on: ['server'], features: [NS_REGISTER] }],
    edge: {
      features: offered
        ? [
            { stage: 'before-auth', element: () => xml('register', { xmlns: NS_REGISTER_FEATURE }) },
            { stage: 'before-auth', element: () => xml('register', { xmlns: NS_INVITE_FEATURE }) },
          ]
        : [],
      localIq: [
        ...(offered
          ? [
              { type: 'get' as const, name: 'query', xmlns: NS_REGISTER, stages: ['before-auth' as const], handle: (iq: Element) => iqResult(iq, registrationForm(needsToken)) },
              { type: 'set' as const, name: 'query', xmlns: NS_REGISTER, stages: ['before-auth' as const], handle: (iq: Element, ctx: LocalIqContext) => createAccount(env, iq, ctx) },
              { type: 'set' as const, name: 'preauth', xmlns: NS_PARS, stages: ['before-auth' as const], handle: (iq: Element, ctx: LocalIqContext) => checkToken(env, iq, ctx) },
            ]
          : []),
        {
          type: 'get',
          name: 'query',
          xmlns: NS_REGISTER,
          stages: ['established'],
          handle: (iq, ctx) => iqResult(iq, registeredStatus((ctx.stream.account() ?? '').split('@')[0] ?? '')),
        },
        { type: 'set', name: 'query', xmlns: NS_REGISTER, stages: ['established'], handle: (iq, ctx) => accountRequest(env, iq, ctx) },
      ],
      connection: (api) => ({
        closed: () => {
          env.tokens.delete(api.id);
        },
      }),
    },
  };
}

/** §3.2 removal or §3.3 password change by the signed-in account. */
function accountRequest(env: RegistrationEnv, iq: Element, ctx: LocalIqContext): Promise<LocalIqReply> | LocalIqReply {
  const submitted = readSubmitted(iq.getChild('query', NS_REGISTER)!);
  if (submitted.remove) return removeAccount(env, iq, ctx);
  if (submitted.password !== undefined) return changePassword(env, iq, ctx, submitted);
  return refused(iq, { condition: 'bad-request', text: 'send <remove/> to remove the account, or a username and a new password to change it' });
}

/**
 * XEP-0445 §3.2: a client checks its token before registering. A valid one is remembered for the
 * stream (it is spent by the registration); an unknown, used, expired or revoked one is item-not-found.
 * Checks count against the address's registration budget: tokens cannot be guessed faster.
 */
async function checkToken(env: RegistrationEnv, iq: Element, ctx: LocalIqContext): Promise<Element> {
  const verdict = await ctx.limiter.take(`ibr-token:${ctx.address}`, env.rule);
  if (!verdict.ok) {
    env.outcomes.inc({ outcome: 'refused-rate' });
    return refused(iq, rateRefusal(verdict.retryAfterMs));
  }
  const token = preauthToken(iq.getChild('preauth', NS_PARS)!);
  const inv = token ? await ctx.store.invitations.peek(invitationDigest(token), 'account') : null;
  if (!token || !inv) {
    env.outcomes.inc({ outcome: 'refused-token' });
    return refused(iq, { condition: 'item-not-found', text: 'this invitation is not valid (unknown, used, expired or revoked)' });
  }
  env.tokens.set(ctx.stream.id, token);
  return iqResult(iq);
}

