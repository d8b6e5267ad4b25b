// XEP-0313 message archive: rows per owner, pages by time (ts, then insertion order), full-text
// search of bodies (XEP-0431), XEP-0424 retraction tombstones and XEP-0308 corrections.
import { randomBytes } from 'node:crypto';
import { groupCommit } from './group-commit.ts';
import type { Sql } from './sql.ts';

export type ArchiveDirection = 'in' | 'out';
export type ArchiveMode = 'always' | 'never' | 'roster';

/** A message to keep in one owner's archive. */
export interface NewArchiveEntry {
  owner: string;
  /** The other party's bare JID, and its full JID (or bare, as addressed). */
  with: string;
  peer: string;
  dir: ArchiveDirection;
  ts: Date;
  msgId: string | null;
  originId: string | null;
  /** XEP-0308: the id this message corrects. */
  replaces: string | null;
  body: string | null;
  stanza: string;
  /** The edge's hand-off id: the same hand-off retried is kept once (the first id is returned). */
  handoff?: string;
}

export interface ArchivedMessage {
  id: string;
  ts: Date;
  with: string;
  peer: string;
  dir: ArchiveDirection;
  stanza: string;
  retracted: boolean;
}

/** A page request; bounds are exclusive ids, `before`/`after` are the RSM cursor (XEP-0059 §2). */
export interface ArchiveQuery {
  owner: string;
  /** A bare JID matches the conversation; a full JID only that resource (XEP-0313 §4.1.1). */
  with?: string;
  start?: Date;
  end?: Date;
  afterId?: string;
  beforeId?: string;
  ids?: string[];
  /** Words that must all occur in the body (current text only: not superseded, not retracted). */
  text?: string;
  max: number;
  /** 'backward': the page just before `before` (or the last page), still returned oldest first. */
  direction: 'forward' | 'backward';
  after?: string;
  before?: string;
}

export type ArchivePage = { items: ArchivedMessage[]; complete: boolean };

export interface ArchivePrefs {
  defaultMode: ArchiveMode;
  always: string[];
  never: string[];
}

export interface ArchiveRepo {
  /**
   * Keeps each entry (all or none); returns each one's archive id once they are committed. Calls at
   * about the same time share one statement (group commit).
   */
  append(entries: NewArchiveEntry[]): Promise<string[]>;
  /** A page, or 'item-not-found' when an id named in the query is not in the archive. */
  query(q: ArchiveQuery): Promise<ArchivePage | 'item-not-found'>;
  /**
   * XEP-0424: every message of the conversation in direction `dir` whose origin-id (or id) is
   * `ref`, and every correction of it, becomes `tombstone(stanza)` without a body. Returns how many.
   */
  retract(owner: string, withBare: string, dir: ArchiveDirection, ref: string, at: Date, tombstone: (stanza: string) => string): Promise<number>;
  /** Deletes up to `limit` messages older than `before`, across owners; returns how many. */
  sweep(before: Date, limit: number): Promise<number>;
  getPrefs(owner: string): Promise<ArchivePrefs | null>;
  setPrefs(owner: string, prefs: ArchivePrefs): Promise<void>;
}

/** An unguessable archive id (XEP-0359 §4: unique and stable within the archive). */
// Ids are cut from a pool of random bytes: one randomBytes call per id (a synchronous trip into
// OpenSSL) was 3 % of the embedded server's busy time on tsung's chat scenario (docs/benchmarks.md).
const ID_BYTES = 12;
let idPool = Buffer.alloc(0);
let idAt = 0;
export const newArchiveId = (): string => {
  if (idAt + ID_BYTES > idPool.length) {
    idPool = randomBytes(ID_BYTES * 256);
    idAt = 0;
  }
  idAt += ID_BYTES;
  return idPool.toString('base64url', idAt - ID_BYTES, idAt);
};

interface Row {
  id: string;
  ts: Date | string;
  with_bare: string;
  peer: string;
  dir: 'i' | 'o';
  stanza: string;
  retracted: boolean;
}

const toMessage = (r: Row): ArchivedMessage => ({
  id: r.id,
  ts: new Date(r.ts),
  with: r.with_bare,
  peer: r.peer,
  dir: r.dir === 'i' ? 'in' : 'out',
  stanza: r.stanza,
  retracted: r.retracted,
});

const REF = 'coalesce(origin_id, msg_id)';

const COLUMNS = 'owner, id, ts, with_bare, peer, dir, msg_id, origin_id, replaces, body, stanza, handoff';

/** The row of an entry, in COLUMNS order, with its new archive id. */
const rowOf = (e: NewArchiveEntry, id: string): unknown[] => [e.owner, id, e.ts.toISOString(), e.with, e.peer, e.dir === 'in' ? 'i' : 'o', e.msgId, e.originId, e.replaces, e.body, e.stanza, e.handoff ?? null];

/**
 * Entries one by one in a transaction: what a batch with corrections takes, because a correction
 * supersedes what was archived before it (including earlier rows of the same batch).
 */
function appendInOrder(tx: Sql, entries: NewArchiveEntry[]): Promise<string[]> {
  return tx.transaction(async (t) => {
    const ids: string[] = [];
    for (const e of entries) {
      const row = rowOf(e, newArchiveId());
      const rows = await t.query<{ id: string }>(
        `INSERT INTO archive_messages (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
         ON CONFLICT (owner, handoff) WHERE handoff IS NOT NULL DO NOTHING RETURNING id`,
        row,
      );
      if (rows[0]) {
        ids.push(rows[0].id);
        // XEP-0308 §4: corrections refer to the original; the original and earlier corrections are now superseded.
        if (e.replaces !== null) {
          await t.query(
            `UPDATE archive_messages SET superseded = true
             WHERE owner = $1 AND with_bare = $2 AND dir = $3 AND id <> $5 AND (${REF} = $4 OR replaces = $4)`,
            [e.owner, e.with, row[5], e.replaces, rows[0].id],
          );
        }
        continue;
      }
      const kept = await t.query<{ id: string }>('SELECT id FROM archive_messages WHERE owner = $1 AND handoff = $2', [e.owner, e.handoff]);
      ids.push(kept[0]!.id);
    }
    return ids;
  });
}

/**
 * Entries without corrections: one INSERT for all of them (one statement is atomic on its own), and
 * for rows a retried hand-off had already archived, one SELECT of the ids they were kept under.
 */
async function appendTogether(sql: Sql, entries: NewArchiveEntry[]): Promise<string[]> {
  const ids = entries.map(() => newArchiveId());
  const rows = entries.map((e, i) => rowOf(e, ids[i]!));
  const columns = rows[0]!.map((_, c) => rows.map((r) => r[c]));
  const inserted = await sql.query<{ id: string }>(
    `INSERT INTO archive_messages (${COLUMNS})
     SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::text[], $5::text[], $6::char[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[])
     ON CONFLICT (owner, handoff) WHERE handoff IS NOT NULL DO NOTHING RETURNING id`,
    columns,
  );
  if (inserted.length === entries.length) return ids;
  const fresh = new Set(inserted.map((r) => r.id));
  const retried = entries.filter((_, i) => !fresh.has(ids[i]!));
  const kept = await sql.query<{ owner: string; handoff: string; id: string }>(
    `SELECT a.owner, a.handoff, a.id FROM archive_messages a
     JOIN unnest($1::text[], $2::text[]) AS k(owner, handoff) ON a.owner = k.owner AND a.handoff = k.handoff`,
    [retried.map((e) => e.owner), retried.map((e) => e.handoff)],
  );
  const keptId = new Map(kept.map((k) => [`${k.owner} ${k.handoff}`, k.id]));
  return entries.map((e, i) => (fresh.has(ids[i]!) ? ids[i]! : keptId.get(`${e.owner} ${e.handoff}`)!));
}

export interface ArchiveRepoOptions {
  /** How long the first archive write of a quiet moment waits for others to share its statement, ms. */
  commitDelayMs?: number;
}

export function archiveRepo(sql: Sql, opts: ArchiveRepoOptions = {}): ArchiveRepo {
  // Every actor's rows of one moment go in one statement (group-commit.ts): the archive write is
  // most of the embedded message path's store cost (docs/benchmarks.md).
  const append = groupCommit(
    (entries: NewArchiveEntry[]) => (entries.some((e) => e.replaces !== null) ? appendInOrder(sql, entries) : appendTogether(sql, entries)),
    { delayMs: opts.commitDelayMs ?? 0 },
  );
  return {
    append,

    async query(q) {
      const params: unknown[] = [q.owner];
      const p = (v: unknown) => {
        params.push(v);
        return `$${params.length}`;
      };
      const where = ['owner = $1'];
      // Cursor ids become (ts, seq) bounds first, so the page is one range scan of an index.
      const positions = new Map<string, { ts: string; seq: string }>();
      for (const id of [q.afterId, q.beforeId, q.after, q.before]) {
        if (id === undefined || positions.has(id)) continue;
        const found = await sql.query<{ ts: string; seq: string }>('SELECT ts::text AS ts, seq::text AS seq FROM archive_messages WHERE owner = $1 AND id = $2', [q.owner, id]);
        if (!found[0]) return 'item-not-found';
        positions.set(id, found[0]);
      }
      const bound = (op: '<' | '>', id: string) => {
        const at = positions.get(id)!;
        where.push(`(ts, seq) ${op} (${p(at.ts)}::timestamptz, ${p(at.seq)}::bigint)`);
      };
      if (q.with !== undefined) where.push(q.with.includes('/') ? `peer = ${p(q.with)}` : `with_bare = ${p(q.with)}`);
      if (q.start) where.push(`ts >= ${p(q.start.toISOString())}::timestamptz`);
      if (q.end) where.push(`ts <= ${p(q.end.toISOString())}::timestamptz`);
      if (q.afterId !== undefined) bound('>', q.afterId);
      if (q.beforeId !== undefined) bound('<', q.beforeId);
      if (q.after !== undefined) bound('>', q.after);
      if (q.before !== undefined) bound('<', q.before);
      if (q.ids !== undefined) where.push(`id = ANY(${p(q.ids)}::text[])`);
      if (q.text !== undefined) {
        where.push(`to_tsvector('simple', coalesce(body, '')) @@ plainto_tsquery('simple', ${p(q.text)})`);
        where.push('NOT superseded AND retracted_at IS NULL');
      }
      const order = q.direction === 'forward' ? 'ASC' : 'DESC';
      const rows = await sql.query<Row>(
        `SELECT id, ts, with_bare, peer, dir, stanza, retracted_at IS NOT NULL AS retracted FROM archive_messages
         WHERE ${where.join(' AND ')} ORDER BY ts ${order}, seq ${order} LIMIT ${p(q.max + 1)}`,
        params,
      );
      const complete = rows.length <= q.max;
      const page = rows.slice(0, q.max).map(toMessage);
      if (q.direction === 'backward') page.reverse();
      return { items: page, complete };
    },

    retract(owner, withBare, dir, ref, at, tombstone) {
      return sql.transaction(async (tx) => {
        const d = dir === 'in' ? 'i' : 'o';
        const rows = await tx.query<{ seq: string; stanza: string }>(
          `SELECT seq::text AS seq, stanza FROM archive_messages
           WHERE owner = $1 AND with_bare = $2 AND dir = $3 AND retracted_at IS NULL AND (${REF} = $4 OR replaces = $4) FOR UPDATE`,
          [owner, withBare, d, ref],
        );
        for (const r of rows) {
          await tx.query('UPDATE archive_messages SET stanza = $3, body = NULL, retracted_at = $4 WHERE owner = $1 AND seq = $2::bigint', [owner, r.seq, tombstone(r.stanza), at.toISOString()]);
        }
        return rows.length;
      });
    },

    async sweep(before, limit) {
      const rows = await sql.query<{ n: number }>(
        `WITH gone AS (
           DELETE FROM archive_messages a USING (SELECT owner, seq FROM archive_messages WHERE ts < $1::timestamptz LIMIT $2) old
           WHERE a.owner = old.owner AND a.seq = old.seq RETURNING 1)
         SELECT count(*)::int AS n FROM gone`,
        [before.toISOString(), limit],
      );
      return Number(rows[0]?.n ?? 0);
    },

    async getPrefs(owner) {
      const rows = await sql.query<{ default_mode: ArchiveMode; always_jids: string[]; never_jids: string[] }>(
        'SELECT default_mode, always_jids, never_jids FROM archive_prefs WHERE owner = $1',
        [owner],
      );
      const r = rows[0];
      return r ? { defaultMode: r.default_mode, always: [...r.always_jids], never: [...r.never_jids] } : null;
    },

    async setPrefs(owner, prefs) {
      await sql.query(
        `INSERT INTO archive_prefs (owner, default_mode, always_jids, never_jids) VALUES ($1, $2, $3::text[], $4::text[])
         ON CONFLICT (owner) DO UPDATE SET default_mode = EXCLUDED.default_mode, always_jids = EXCLUDED.always_jids, never_jids = EXCLUDED.never_jids`,
        [owner, prefs.defaultMode, prefs.always, prefs.never],
      );
    },
  };
}
