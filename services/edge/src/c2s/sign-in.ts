// The modules' sign-in hooks (libs/ext ConnectionHooks: authFailed, binding, bound), called by SASL,
// SASL2, bind and bind2 at the points where a sign-in fails, is about to bind, or has bound.
import { BIND_OK, type BindVerdict, type SignIn, type SignInFailure } from '@parley/ext';
import type { Jid } from '@parley/jid';
import type { C2SConnection } from './connection.ts';
import type { Authenticated } from './state.ts';

/** What the modules' `binding`/`bound` hooks are told about the sign-in. */
export function signInOf(auth: Authenticated): SignIn {
  return { user: auth.user, mechanism: auth.mechanism, userAgent: auth.userAgent ?? null, client: auth.client ?? null };
}

/** A SASL or SASL2 attempt failed: modules record it. */
export function authFailed(conn: C2SConnection, failure: SignInFailure): void {
  for (const h of conn.hooks) h.authFailed?.(failure);
}

/** Before a resource is bound: the first module that refuses stops it. */
export async function binding(conn: C2SConnection, jid: Jid, auth: Authenticated): Promise<BindVerdict> {
  for (const h of conn.hooks) {
    if (!h.binding) continue;
    const verdict = await h.binding(jid, signInOf(auth));
    if (!verdict.ok) return verdict;
  }
  return BIND_OK;
}

/** The resource is bound and the client was told: the session starts. */
export function signedIn(conn: C2SConnection, jid: Jid, auth: Authenticated): void {
  for (const h of conn.hooks) h.bound?.(jid, signInOf(auth));
}
