// Chatrooms (XEP-0045): rooms with their configuration, affiliations, present occupants and history.
import type { Sql } from './sql.ts';

export type MucAffiliation = 'owner' | 'admin' | 'member' | 'outcast';

export interface MucRoomRecord {
  jid: string;
  /** The room configuration as the chatroom module keeps it (XEP-0045 §10.2 fields). */
  config: Record<string, unknown>;
  subject: string | null;
  subjectBy: string | null;
  createdAt: Date;
}

export interface MucAffiliationRecord {
  jid: string;
  affiliation: MucAffiliation;
  nick: string | null;
  reason: string | null;
}

export interface MucOccupantRecord {
  realJid: string;
  nick: string;
  role: string;
  edge: string;
  conn: string;
  presence: string | null;
}

export interface MucHistoryRecord {
  at: Date;
  nick: string;
  stanza: string;
}

export interface MucRoomSummary {
  jid: string;
  config: Record<string, unknown>;
  occupants: number;
}

export interface MucRepo {
  getRoom(jid: string): Promise<MucRoomRecord | null>;
  /** Insert or replace the configuration; the subject is kept. */
  putRoom(jid: string, config: Record<string, unknown>): Promise<void>;
  setSubject(jid: string, subject: string | null, by: string | null): Promise<void>;
  /** Removes the room with its affiliations, occupants, history and archive; false if there was none. */
  deleteRoom(jid: string): Promise<boolean>;
  /** Rooms whose JID ends with `@service`, in byte order, with the number of distinct nicknames present. */
  listRooms(service: string): Promise<MucRoomSummary[]>;
  affiliations(room: string): Promise<MucAffiliationRecord[]>;
  /** 'none' removes the row. */
  setAffiliation(room: string, a: { jid: string; affiliation: MucAffiliation | 'none'; nick?: string | null; reason?: string | null }): Promise<void>;
  /** Rooms of which `jid` (bare) is owner. */
  ownedBy(jid: string): Promise<string[]>;
  occupants(room: string): Promise<MucOccupantRecord[]>;
  putOccupant(room: string, o: MucOccupantRecord): Promise<void>;
  removeOccupant(room: string, realJid: string): Promise<void>;
  /** Rooms where this full JID is present. */
  roomsOf(realJid: string): Promise<string[]>;
  /** Append to the history and keep only the newest `keep` entries. */
  addHistory(room: string, entry: MucHistoryRecord, keep: number): Promise<void>;
  /** The newest `limit` entries, oldest first. */
  history(room: string, limit: number): Promise<MucHistoryRecord[]>;
}

interface RoomRow {
  jid: string;
  config: Record<string, unknown> | string;
  subject: string | null;
  subject_by: string | null;
  created_at: Date | string;
}

const json = (v: Record<string, unknown> | string): Record<string, unknown> => (typeof v === 'string' ? (JSON.parse(v) as Record<string, unknown>) : v);

export function mucRepo(sql: Sql): MucRepo {
  return {
    async getRoom(jid) {
      const [r] = await sql.query<RoomRow>('SELECT jid, config, subject, subject_by, created_at FROM muc_rooms WHERE jid = $1', [jid]);
      return r ? { jid: r.jid, config: json(r.config), subject: r.subject, subjectBy: r.subject_by, createdAt: new Date(r.created_at) } : null;
    },
    async putRoom(jid, config) {
      await sql.query(
        `INSERT INTO muc_rooms (jid, config) VALUES ($1, $2::jsonb)
         ON CONFLICT (jid) DO UPDATE SET config = EXCLUDED.config`,
        [jid, JSON.stringify(config)],
      );
    },
    async setSubject(jid, subject, by) {
      await sql.query('UPDATE muc_rooms SET subject = $2, subject_by = $3 WHERE jid = $1', [jid, subject, by]);
    },
    deleteRoom(jid) {
      return sql.transaction(async (tx) => {
        const rows = await tx.query('DELETE FROM muc_rooms WHERE jid = $1 RETURNING jid', [jid]);
        // XEP-0313 §5.1.2: the room's archive (owner = room JID) goes with the room.
        await tx.query('DELETE FROM archive_messages WHERE owner = $1', [jid]);
        return rows.length > 0;
      });
    },
    async listRooms(service) {
      const rows = await sql.query<{ jid: string; config: Record<string, unknown> | string; n: number | string }>(
        `SELECT r.jid, r.config, (SELECT count(DISTINCT o.nick) FROM muc_occupants o WHERE o.room = r.jid) AS n
         FROM muc_rooms r WHERE r.jid LIKE $1 ORDER BY r.jid`,
        [`%@${service.replace(/[\\%_]/g, (c) => `\\${c}`)}`],
      );
      return rows.map((r) => ({ jid: r.jid, config: json(r.config), occupants: Number(r.n) }));
    },
    async affiliations(room) {
      const rows = await sql.query<{ jid: string; affiliation: MucAffiliation; nick: string | null; reason: string | null }>(
        'SELECT jid, affiliation, nick, reason FROM muc_affiliations WHERE room = $1 ORDER BY jid',
        [room],
      );
      return rows.map((r) => ({ jid: r.jid, affiliation: r.affiliation, nick: r.nick, reason: r.reason }));
    },
    async setAffiliation(room, a) {
      if (a.affiliation === 'none') {
        await sql.query('DELETE FROM muc_affiliations WHERE room = $1 AND jid = $2', [room, a.jid]);
        return;
      }
      await sql.query(
        `INSERT INTO muc_affiliations (room, jid, affiliation, nick, reason) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (room, jid) DO UPDATE SET affiliation = EXCLUDED.affiliation,
           nick = COALESCE(EXCLUDED.nick, muc_affiliations.nick), reason = EXCLUDED.reason`,
        [room, a.jid, a.affiliation, a.nick ?? null, a.reason ?? null],
      );
    },
    async ownedBy(jid) {
      const rows = await sql.query<{ room: string }>("SELECT room FROM muc_affiliations WHERE jid = $1 AND affiliation = 'owner' ORDER BY room", [jid]);
      return rows.map((r) => r.room);
    },
    async occupants(room) {
      const rows = await sql.query<{ real_jid: string; nick: string; role: string; edge: string; conn: string; presence: string | null }>(
        'SELECT real_jid, nick, role, edge, conn, presence FROM muc_occupants WHERE room = $1 ORDER BY nick, real_jid',
        [room],
      );
      return rows.map((r) => ({ realJid: r.real_jid, nick: r.nick, role: r.role, edge: r.edge, conn: r.conn, presence: r.presence }));
    },
    async putOccupant(room, o) {
      await sql.query(
        `INSERT INTO muc_occupants (room, real_jid, nick, role, edge, conn, presence) VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (room, real_jid) DO UPDATE SET nick = EXCLUDED.nick, role = EXCLUDED.role, edge = EXCLUDED.edge,
           conn = EXCLUDED.conn, presence = EXCLUDED.presence`,
        [room, o.realJid, o.nick, o.role, o.edge, o.conn, o.presence],
      );
    },
    async removeOccupant(room, realJid) {
      await sql.query('DELETE FROM muc_occupants WHERE room = $1 AND real_jid = $2', [room, realJid]);
    },
    async roomsOf(realJid) {
      const rows = await sql.query<{ room: string }>('SELECT room FROM muc_occupants WHERE real_jid = $1 ORDER BY room', [realJid]);
      return rows.map((r) => r.room);
    },
    async addHistory(room, entry, keep) {
      await sql.transaction(async (tx) => {
        await tx.query('INSERT INTO muc_history (room, at, nick, stanza) VALUES ($1, $2, $3, $4)', [room, entry.at.toISOString(), entry.nick, entry.stanza]);
        await tx.query(
          `DELETE FROM muc_history WHERE room = $1 AND id NOT IN (SELECT id FROM muc_history WHERE room = $1 ORDER BY id DESC LIMIT $2)`,
          [room, Math.max(0, keep)],
        );
      });
    },
    async history(room, limit) {
      const rows = await sql.query<{ at: Date | string; nick: string; stanza: string }>(
        'SELECT at, nick, stanza FROM (SELECT id, at, nick, stanza FROM muc_history WHERE room = $1 ORDER BY id DESC LIMIT $2) h ORDER BY id',
        [room, Math.max(0, limit)],
      );
      return rows.map((r) => ({ at: new Date(r.at), nick: r.nick, stanza: r.stanza }));
    },
  };
}
