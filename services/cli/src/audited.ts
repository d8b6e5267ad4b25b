// What the CLI changes (directly in the database, or through the running server's admin socket)
// goes into the same audit log as the admin API's changes, with the actor "cli (<os user>)".
import { userInfo } from 'node:os';
import { type AccountConfig, addUser, auditLog, bulkAdd, createInvitation, deleteUser, listFastTokens, listInvitations, revokeFastTokens, revokeInvitation, setPassword, tokenRepo, TokenInputError, UserError } from '@parley/admin';
import type { Logger } from '@parley/log';
import type { Store } from '@parley/store';

function cliActor(): string {
  try {
    return `cli (${userInfo().username})`;
  } catch {
    return 'cli';
  }
}

export function auditedCommands(store: Store, config: AccountConfig, log: Logger) {
  const audit = auditLog(store.sql, log);
  const tokens = tokenRepo(store.sql);
  const actor = cliActor();
  return {
    async addUser(user: string, password: string): Promise<string> {
      const jid = await addUser(store, config, user, password);
      await audit.record({ actor, action: 'user.create', target: jid });
      return jid;
    },
    async deleteUser(user: string): Promise<string> {
      const jid = await deleteUser(store, config, user);
      await audit.record({ actor, action: 'user.delete', target: jid });
      return jid;
    },
    async setPassword(user: string, password: string): Promise<string> {
      const jid = await setPassword(store, config, user, password);
      await audit.record({ actor, action: 'user.password', target: jid });
      return jid;
    },
    async bulkAdd(opts: Parameters<typeof bulkAdd>[2]) {
      const r = await bulkAdd(store, config, opts);
      await audit.record({ actor, action: 'user.create', target: `${opts.userPattern}@${config.domain}`, detail: { bulk: true, start: opts.start, count: opts.count, ...r } });
      return r;
    },
    listFastTokens(user: string) {
      return listFastTokens(store, config, user);
    },
    async revokeFastTokens(user: string, client?: string) {
      const r = await revokeFastTokens(store, config, user, client);
      await audit.record({ actor, action: 'user.fast-tokens.revoke', target: r.jid, detail: { revoked: r.revoked, ...(client ? { client } : {}) } });
      return r;
    },
    async createToken(role: string, name: string) {
      try {
        const { token, info } = await tokens.create({ name, role, createdBy: actor });
        await audit.record({ actor, action: 'token.create', target: `token:${info.id}`, detail: { name: info.name, role: info.role } });
        return { token, id: info.id, name: info.name, role: info.role };
      } catch (err) {
        if (err instanceof TokenInputError) throw new UserError(err.message);
        throw err;
      }
    },
    async listTokens() {
      return (await tokens.list()).map((t) => ({ ...t, createdAt: t.createdAt.toISOString(), revokedAt: t.revokedAt?.toISOString() ?? null }));
    },
    async createInvitation(inviter: string | undefined, ttlMs: number, account = false) {
      const inv = await createInvitation(store, config, inviter, { ttlMs, createdBy: actor, account });
      await audit.record({ actor, action: 'invitation.create', target: `invitation:${inv.id}`, detail: { inviter: inviter ?? null, kind: account ? 'account' : 'roster', expiresAt: inv.expiresAt } });
      return inv;
    },
    listInvitations(inviter?: string) {
      return listInvitations(store, config, inviter);
    },
    async revokeInvitation(id: string): Promise<string> {
      await revokeInvitation(store, id);
      await audit.record({ actor, action: 'invitation.revoke', target: `invitation:${id}` });
      return id;
    },
    async revokeToken(id: string): Promise<string> {
      if (!(await tokens.revoke(id))) throw new UserError(`no active token ${id}`);
      await audit.record({ actor, action: 'token.revoke', target: `token:${id}` });
      return id;
    },
  };
}

export type AuditedCommands = ReturnType<typeof auditedCommands>;
