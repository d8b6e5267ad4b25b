// XEP-0484 FAST tokens of an account, for operators: listed (never the token or its hash) and
// revoked, all or one client's. A password change revokes them too (libs/store setCredentials).
import type { Store } from '@parley/store';
import { type AccountConfig, UserError, usernameOf } from './accounts.ts';

export interface FastTokenView {
  client: string;
  userAgent: string | null;
  mechanism: string;
  /** 'new' until the client first used it (XEP-0484 §5). */
  slot: string;
  createdAt: string;
  expiresAt: string;
}

export async function listFastTokens(store: Pick<Store, 'users' | 'fastTokens'>, config: AccountConfig, user: string): Promise<{ jid: string; tokens: FastTokenView[] }> {
  const username = await existing(store, config, user);
  const tokens = (await store.fastTokens.list(username, config.domain)).map((t) => ({
    client: t.clientId,
    userAgent: t.userAgent,
    mechanism: t.mechanism,
    slot: t.slot,
    createdAt: t.createdAt.toISOString(),
    expiresAt: t.expiresAt.toISOString(),
  }));
  return { jid: `${username}@${config.domain}`, tokens };
}

/** Revokes the account's tokens, or those of one client (its XEP-0388 user-agent id). */
export async function revokeFastTokens(store: Pick<Store, 'users' | 'fastTokens'>, config: AccountConfig, user: string, client?: string): Promise<{ jid: string; revoked: number }> {
  const username = await existing(store, config, user);
  return { jid: `${username}@${config.domain}`, revoked: await store.fastTokens.revoke(username, config.domain, client) };
}

async function existing(store: Pick<Store, 'users'>, config: AccountConfig, user: string): Promise<string> {
  const username = usernameOf(user, config.domain);
  if (!(await store.users.exists(username, config.domain))) throw new UserError(`${username}@${config.domain} does not exist`);
  return username;
}
