// `parley user history <jid>` and `parley user signins <jid> [--multi-login P] [--idle-timeout S]`:
// an admin reads an account's sign-ins (extensions/src/signins) and sets its sign-in policies.
// Through the running embedded server's admin socket when it holds the database (decision 0005),
// otherwise on the database itself (cluster mode: Postgres).
import type { ParleyConfig } from '@parley/config';
import { auditLog, UserError, usernameOf } from '@parley/admin';
import { historyCells, parseSignInSettings } from '@parley/extensions';
import type { Logger } from '@parley/log';
import type { LoginRecord, SignInSettings, Store } from '@parley/store';
import type { FastifyInstance } from 'fastify';

export interface SignInIo {
  /** The embedded server holds the database: go through its admin socket. */
  remote: boolean;
  call(method: string, path: string, body?: unknown): Promise<Record<string, unknown>>;
  withStore<T>(fn: (store: Store) => Promise<T>): Promise<T>;
  log: Logger;
}

export interface SignInValues {
  limit?: string;
  'multi-login'?: string;
  'idle-timeout'?: string;
}

type HistoryView = { jid: string; logins: Array<Omit<LoginRecord, 'at'> & { at: string }> };
type SettingsView = { jid: string; settings: SignInSettings; defaults: { multiLogin: string; idleTimeoutSec: number } };

async function history(store: Store, config: ParleyConfig, jid: string, limit: number): Promise<HistoryView> {
  const user = usernameOf(jid, config.domain);
  if (!(await store.users.exists(user, config.domain))) throw new UserError(`no account ${user}@${config.domain}`);
  const rows = await store.loginHistory.recent(user, config.domain, limit);
  return { jid: `${user}@${config.domain}`, logins: rows.map((r) => ({ ...r, at: r.at.toISOString() })) };
}

async function settings(store: Store, config: ParleyConfig, log: Logger, jid: string, change: { multiLogin?: string; idleTimeout?: string }): Promise<SettingsView> {
  const user = usernameOf(jid, config.domain);
  const target = `${user}@${config.domain}`;
  if (!(await store.users.exists(user, config.domain))) throw new UserError(`no account ${target}`);
  if (change.multiLogin !== undefined || change.idleTimeout !== undefined) {
    const current = await store.loginHistory.settings(user, config.domain);
    const parsed = parseSignInSettings(change.multiLogin ?? current.multiLogin ?? 'default', change.idleTimeout ?? (current.idleTimeoutSec === null ? '' : String(current.idleTimeoutSec)));
    if (typeof parsed === 'string') throw new UserError(parsed);
    await store.loginHistory.setSettings(user, config.domain, parsed);
    await auditLog(store.sql, log).record({ actor: 'cli', action: 'user.signins', target, detail: { ...parsed } });
  }
  return {
    jid: target,
    settings: await store.loginHistory.settings(user, config.domain),
    defaults: { multiLogin: config.multiLogin, idleTimeoutSec: config.sessionIdleTimeoutSec },
  };
}

/** The admin socket's routes for these commands (services/cli/src/admin-socket.ts). */
export function signInRoutes(app: FastifyInstance, store: Store, config: ParleyConfig, log: Logger): void {
  app.get<{ Params: { user: string }; Querystring: { limit?: string } }>('/users/:user/signins', async (req) => history(store, config, req.params.user, limitOf(req.query.limit, config)));
  app.put<{ Params: { user: string }; Body: { multiLogin?: string; idleTimeout?: string } }>('/users/:user/signin-settings', async (req) =>
    settings(store, config, log, req.params.user, req.body ?? {}),
  );
}

function limitOf(text: string | undefined, config: ParleyConfig): number {
  if (text === undefined) return config.signinHistoryShown;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 10_000) throw new UserError('--limit must be an integer from 1 to 10000');
  return n;
}

/** Runs `parley user history|signins`; writes its lines with `out`. */
export async function signInCommand(config: ParleyConfig, sub: 'history' | 'signins', jid: string | undefined, values: SignInValues, io: SignInIo, out: (line: string) => void): Promise<number> {
  if (!jid) throw new UserError(`parley user ${sub} needs a JID`);
  const path = `/users/${encodeURIComponent(jid)}`;
  if (sub === 'history') {
    const limit = limitOf(values.limit, config);
    const view = io.remote
      ? ((await io.call('GET', `${path}/signins?limit=${limit}`)) as unknown as HistoryView)
      : await io.withStore((s) => history(s, config, jid, limit));
    if (view.logins.length === 0) out(`no sign-ins recorded for ${view.jid}`);
    for (const r of view.logins) out(historyCells({ ...r, at: new Date(r.at) }).map((c) => c || '-').join('  '));
    return 0;
  }
  const change = {
    ...(values['multi-login'] !== undefined ? { multiLogin: values['multi-login'] } : {}),
    ...(values['idle-timeout'] !== undefined ? { idleTimeout: values['idle-timeout'] } : {}),
  };
  const view = io.remote
    ? ((await io.call('PUT', `${path}/signin-settings`, change)) as unknown as SettingsView)
    : await io.withStore((s) => settings(s, config, io.log, jid, change));
  const { settings: own, defaults } = view;
  out(`${view.jid}  multi-login ${own.multiLogin ?? `default (${defaults.multiLogin})`}  idle-timeout ${own.idleTimeoutSec ?? `default (${defaults.idleTimeoutSec})`}`);
  return 0;
}
