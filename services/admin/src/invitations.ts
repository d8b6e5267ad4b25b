// Invitations issued by administrators (`parley invite`): XEP-0379 pre-authenticated roster
// subscriptions, and account invitations for in-band registration (XEP-0445, XEP-0401 URIs). The
// token is shown once, in the URI; only its digest is stored.
import { type Invitation, type IssuedInvitation, issueAccountInvitation, issueRosterInvitation, type Store } from '@parley/store';
import { type AccountConfig, UserError, usernameOf } from './accounts.ts';

export type { IssuedInvitation };

/** Lifetimes such as 90m, 12h or 7d (at most 90 days). */
export function parseTtl(text: string): number {
  const m = /^(\d{1,6})([mhd])$/.exec(text.trim());
  if (!m) throw new UserError(`--ttl must be a number with m, h or d, e.g. 7d (got "${text}")`);
  const ms = Number(m[1]) * { m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'm' | 'h' | 'd'];
  if (ms <= 0 || ms > 90 * 86_400_000) throw new UserError('--ttl must be between 1 minute and 90 days');
  return ms;
}

/** A roster invitation from `inviterInput`, or with `account` an account invitation (from the inviter if one is named). */
export async function createInvitation(
  store: Pick<Store, 'users' | 'invitations'>,
  config: AccountConfig,
  inviterInput: string | undefined,
  opts: { ttlMs: number; createdBy: string; account?: boolean },
): Promise<IssuedInvitation> {
  let inviter: string | null = null;
  if (inviterInput) {
    const username = usernameOf(inviterInput, config.domain);
    if (!(await store.users.exists(username, config.domain))) throw new UserError(`${username}@${config.domain} does not exist`);
    inviter = `${username}@${config.domain}`;
  }
  if (opts.account) return issueAccountInvitation(store.invitations, { domain: config.domain, inviter, ttlMs: opts.ttlMs, createdBy: opts.createdBy });
  if (!inviter) throw new UserError('a contact invitation needs the inviter');
  return issueRosterInvitation(store.invitations, { domain: config.domain, inviter, ttlMs: opts.ttlMs, createdBy: opts.createdBy });
}

export interface InvitationView {
  id: string;
  inviter: string | null;
  kind: string;
  createdBy: string;
  createdAt: string;
  expiresAt: string;
  state: 'open' | 'used' | 'revoked' | 'expired';
  usedBy: string | null;
}

export function viewOf(i: Invitation, now = Date.now()): InvitationView {
  const state = i.usedAt ? 'used' : i.revokedAt ? 'revoked' : i.expiresAt.getTime() <= now ? 'expired' : 'open';
  return { id: i.id, inviter: i.inviter, kind: i.kind, createdBy: i.createdBy, createdAt: i.createdAt.toISOString(), expiresAt: i.expiresAt.toISOString(), state, usedBy: i.usedBy };
}

export async function listInvitations(store: Pick<Store, 'invitations'>, config: AccountConfig, inviterInput?: string): Promise<InvitationView[]> {
  const inviter = inviterInput ? `${usernameOf(inviterInput, config.domain)}@${config.domain}` : undefined;
  return (await store.invitations.list(config.domain, { inviter, limit: 1000 })).map((i) => viewOf(i));
}

export async function revokeInvitation(store: Pick<Store, 'invitations'>, id: string): Promise<string> {
  if (!/^[0-9a-f]{16}$/.test(id) || !(await store.invitations.revoke(id))) throw new UserError(`no open invitation ${id} (see parley invite list)`);
  return id;
}
