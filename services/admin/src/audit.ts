// The audit log: every change made through the admin API or the CLI, in Postgres (admin_audit)
// and in the structured log, with who made it, what, to what and when.
import type { Logger } from '@parley/log';
import type { Sql } from '@parley/store';

export type AuditAction =
  | 'user.create'
  | 'user.delete'
  | 'user.lock'
  | 'user.unlock'
  | 'user.password'
  | 'session.kick'
  | 'token.create'
  | 'token.revoke'
  | 'invitation.create'
  | 'invitation.revoke'
  | 'user.fast-tokens.revoke'
  | 'user.signins'
  | 'component.add'
  | 'component.del'
  | 'cert.ca-init'
  | 'cert.issue'
  | 'cert.revoke';

export interface AuditEntry {
  id: number;
  at: Date;
  actor: string;
  action: AuditAction;
  target: string;
  detail: Record<string, unknown> | null;
}

interface AuditRow {
  id: number | string;
  at: Date | string;
  actor: string;
  action: AuditAction;
  target: string;
  detail: string | null;
}

export function auditLog(sql: Sql, log: Logger) {
  return {
    async record(e: { actor: string; action: AuditAction; target: string; detail?: Record<string, unknown> }): Promise<void> {
      log.info('admin change', { actor: e.actor, action: e.action, target: e.target, ...(e.detail ? { detail: e.detail } : {}) });
      await sql.query('INSERT INTO admin_audit (actor, action, target, detail) VALUES ($1, $2, $3, $4)', [
        e.actor,
        e.action,
        e.target,
        e.detail ? JSON.stringify(e.detail) : null,
      ]);
    },

    /** Newest first; `before` pages past an entry id; `target` filters on one account or token. */
    async list(opts: { limit: number; before?: number; target?: string }): Promise<AuditEntry[]> {
      const rows = await sql.query<AuditRow>(
        `SELECT id, at, actor, action, target, detail FROM admin_audit
         WHERE ($1::bigint IS NULL OR id < $1::bigint) AND ($2::text IS NULL OR target = $2::text)
         ORDER BY id DESC LIMIT $3`,
        [opts.before ?? null, opts.target ?? null, opts.limit],
      );
      return rows.map((r) => ({
        id: Number(r.id),
        at: new Date(r.at),
        actor: r.actor,
        action: r.action,
        target: r.target,
        detail: r.detail === null ? null : (JSON.parse(r.detail) as Record<string, unknown>),
      }));
    },
  };
}

export type AuditLog = ReturnType<typeof auditLog>;
