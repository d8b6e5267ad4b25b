// Privacy lists, the default list and per-connection privacy state (XEP-0016, XEP-0191, XEP-0186).
import type { Sql } from './sql.ts';
import type { PrivacyItem, PrivacyPolicy, PrivacyRepo, PrivacySession } from './types.ts';

interface SessionRow {
  owner: string;
  conn: string;
  jid: string;
  active: string | null;
  invisible: boolean;
  allowed: string[];
  blocklist_interest: boolean;
  items: PrivacyItem[] | string | null;
}

/** jsonb comes back parsed from both drivers; a string is parsed, so either form is accepted. */
const itemsOf = (v: PrivacyItem[] | string | null): PrivacyItem[] => (v === null ? [] : typeof v === 'string' ? (JSON.parse(v) as PrivacyItem[]) : v);
const sorted = (items: PrivacyItem[]) => [...items].sort((a, b) => a.order - b.order);

export function privacyRepo(sql: Sql): PrivacyRepo {
  return {
    async names(owner) {
      const rows = await sql.query<{ name: string; is_default: boolean }>(
        `SELECT l.name, (d.owner IS NOT NULL) AS is_default FROM privacy_lists l
         LEFT JOIN privacy_defaults d ON d.owner = l.owner AND d.name = l.name
         WHERE l.owner = $1 ORDER BY l.name`,
        [owner],
      );
      return { lists: rows.map((r) => r.name), defaultName: rows.find((r) => r.is_default)?.name ?? null };
    },

    async getList(owner, name) {
      const rows = await sql.query<{ items: PrivacyItem[] | string }>('SELECT items FROM privacy_lists WHERE owner = $1 AND name = $2', [owner, name]);
      const r = rows[0];
      return r ? { name, items: sorted(itemsOf(r.items)) } : null;
    },

    async putList(owner, list) {
      await sql.query(
        `INSERT INTO privacy_lists (owner, name, items) VALUES ($1, $2, $3::jsonb)
         ON CONFLICT (owner, name) DO UPDATE SET items = EXCLUDED.items`,
        [owner, list.name, JSON.stringify(sorted(list.items))],
      );
    },

    removeList(owner, name) {
      return sql.transaction(async (tx) => {
        await tx.query('DELETE FROM privacy_defaults WHERE owner = $1 AND name = $2', [owner, name]);
        await tx.query('UPDATE privacy_sessions SET active = NULL WHERE owner = $1 AND active = $2', [owner, name]);
        const rows = await tx.query('DELETE FROM privacy_lists WHERE owner = $1 AND name = $2 RETURNING name', [owner, name]);
        return rows.length > 0;
      });
    },

    async setDefault(owner, name) {
      if (name === null) {
        await sql.query('DELETE FROM privacy_defaults WHERE owner = $1', [owner]);
        return true;
      }
      const rows = await sql.query(
        `INSERT INTO privacy_defaults (owner, name) SELECT owner, name FROM privacy_lists WHERE owner = $1 AND name = $2
         ON CONFLICT (owner) DO UPDATE SET name = EXCLUDED.name RETURNING name`,
        [owner, name],
      );
      return rows.length > 0;
    },

    async policies(owners) {
      const out = new Map<string, PrivacyPolicy>();
      for (const o of owners) out.set(o, { defaultList: null, sessions: new Map() });
      if (owners.length === 0) return out;
      const defaults = await sql.query<{ owner: string; name: string; items: PrivacyItem[] | string }>(
        `SELECT d.owner, d.name, l.items FROM privacy_defaults d JOIN privacy_lists l ON l.owner = d.owner AND l.name = d.name
         WHERE d.owner = ANY($1::text[])`,
        [owners],
      );
      for (const d of defaults) out.get(d.owner)!.defaultList = { name: d.name, items: sorted(itemsOf(d.items)) };
      const sessions = await sql.query<SessionRow>(
        `SELECT s.owner, s.conn, s.jid, s.active, s.invisible, s.allowed, s.blocklist_interest, l.items FROM privacy_sessions s
         LEFT JOIN privacy_lists l ON l.owner = s.owner AND l.name = s.active
         WHERE s.owner = ANY($1::text[])`,
        [owners],
      );
      for (const s of sessions) {
        const session: PrivacySession = {
          conn: s.conn,
          jid: s.jid,
          active: s.active === null || s.items === null ? null : { name: s.active, items: sorted(itemsOf(s.items)) },
          invisible: s.invisible,
          allowed: s.allowed,
          blocklistInterest: s.blocklist_interest,
        };
        out.get(s.owner)!.sessions.set(s.conn, session);
      }
      return out;
    },

    async patchSession(owner, { conn, jid }, patch) {
      await sql.query(
        `INSERT INTO privacy_sessions (owner, conn, jid, active, invisible, allowed, blocklist_interest)
         VALUES ($1, $2, $8, $3, coalesce($4, false), coalesce($5::text[], '{}'), coalesce($6, false))
         ON CONFLICT (owner, conn) DO UPDATE SET
           active = CASE WHEN $7 THEN EXCLUDED.active ELSE privacy_sessions.active END,
           invisible = coalesce($4, privacy_sessions.invisible),
           allowed = coalesce($5::text[], privacy_sessions.allowed),
           blocklist_interest = coalesce($6, privacy_sessions.blocklist_interest)`,
        [owner, conn, patch.active ?? null, patch.invisible ?? null, patch.allowed ?? null, patch.blocklistInterest ?? null, 'active' in patch, jid],
      );
    },

    async dropSession(owner, conn) {
      await sql.query('DELETE FROM privacy_sessions WHERE owner = $1 AND conn = $2', [owner, conn]);
    },
  };
}

