import { bareOf } from '@parley/jid';
import type { LocationService, RegisterResult, ResourceEntry, ResourcePatch, ResumedSession, SmRecord } from './location.ts';

/** In-memory location service for embedded mode; every operation is atomic by construction. */
export class MemoryLocation implements LocationService {
  private readonly byBare = new Map<string, Map<string, ResourceEntry>>();
  private readonly edges = new Map<string, number>();
  /** A lapsed edge is registering its sessions again until then (see `recovering`). */
  private recoveringUntil = 0;

  async register(entry: ResourceEntry): Promise<RegisterResult> {
    const bare = bareOf(entry.jid);
    const map = this.byBare.get(bare) ?? new Map<string, ResourceEntry>();
    const current = map.get(entry.jid);
    if (current) return { ok: false, current: { ...current } };
    map.set(entry.jid, { ...entry });
    this.byBare.set(bare, map);
    return { ok: true };
  }

  async replace(entry: ResourceEntry, expectedConn: string): Promise<boolean> {
    const map = this.byBare.get(bareOf(entry.jid));
    const current = map?.get(entry.jid);
    if (!map || !current || current.conn !== expectedConn) return false;
    map.set(entry.jid, { ...entry });
    return true;
  }

  async unregister(jid: string, conn: string): Promise<boolean> {
    const bare = bareOf(jid);
    const map = this.byBare.get(bare);
    const current = map?.get(jid);
    if (!map || !current || current.conn !== conn) return false;
    map.delete(jid);
    if (map.size === 0) this.byBare.delete(bare);
    return true;
  }

  async update(jid: string, conn: string, patch: ResourcePatch): Promise<boolean> {
    const current = this.byBare.get(bareOf(jid))?.get(jid);
    if (!current || current.conn !== conn) return false;
    Object.assign(current, patch);
    return true;
  }

  async resources(bare: string): Promise<ResourceEntry[]> {
    const map = this.byBare.get(bare);
    return map ? [...map.values()].map((e) => ({ ...e })) : [];
  }

  async resourcesOf(bares: string[]): Promise<Map<string, ResourceEntry[]>> {
    const out = new Map<string, ResourceEntry[]>();
    for (const b of bares) out.set(b, await this.resources(b));
    return out;
  }

  async heartbeat(edge: string, ttlMs: number): Promise<boolean> {
    const now = Date.now();
    const until = this.edges.get(edge);
    this.edges.set(edge, now + ttlMs);
    if (until !== undefined && until > now) return true;
    // A lapse (not a first beat): its entries may be gone; lookups are uncertain while it re-registers.
    if (until !== undefined) this.recoveringUntil = Math.max(this.recoveringUntil, now + ttlMs / 2);
    return false;
  }

  async recovering(): Promise<boolean> {
    return Date.now() < this.recoveringUntil;
  }

  async removeEdge(edge: string): Promise<ResourceEntry[]> {
    const removed: ResourceEntry[] = [];
    for (const [bare, map] of this.byBare) {
      for (const [jid, e] of map) {
        if (e.edge === edge && e.detached === undefined) {
          removed.push({ ...e });
          map.delete(jid);
        }
      }
      if (map.size === 0) this.byBare.delete(bare);
    }
    this.edges.delete(edge);
    return removed;
  }

  async liveEdges(): Promise<string[]> {
    const now = Date.now();
    return [...this.edges].filter(([, until]) => until > now).map(([edge]) => edge);
  }

  async reapDeadEdges(): Promise<ResourceEntry[]> {
    const now = Date.now();
    const dead = new Set<string>();
    for (const map of this.byBare.values()) {
      for (const e of map.values()) if (!((this.edges.get(e.edge) ?? 0) > now)) dead.add(e.edge);
    }
    for (const [edge, until] of this.edges) if (until <= now) dead.add(edge);
    const removed: ResourceEntry[] = [];
    for (const edge of dead) {
      // XEP-0198 §5: a resumable session outlives its edge for its window.
      for (const map of this.byBare.values()) {
        for (const e of map.values()) if (e.edge === edge && e.resumable && e.detached === undefined) await this.detach(e.jid, e.conn, now + e.resumable);
      }
      removed.push(...(await this.removeEdge(edge)));
    }
    removed.push(...(await this.expireDetached(now)));
    return removed;
  }

  private readonly outboxes = new Map<string, Map<string, string>>();

  private readonly marks = new Map<string, Map<string, number>>();
  private readonly sm = new Map<string, { rec: SmRecord; until: number }>();
  /** Detached entries by `jid\nconn`, with the end of their window. */
  private readonly detachedUntil = new Map<string, number>();

  async outboxPut(conn: string, id: string, xml: string, jid?: string): Promise<boolean> {
    if (jid !== undefined && this.byBare.get(bareOf(jid))?.get(jid)?.conn !== conn) return false;
    const box = this.outboxes.get(conn) ?? new Map<string, string>();
    box.set(id, xml);
    this.outboxes.set(conn, box);
    return true;
  }

  async outboxSent(conn: string, marks: Array<[string, number]>): Promise<void> {
    const box = this.outboxes.get(conn);
    if (!box) return;
    const m = this.marks.get(conn) ?? new Map<string, number>();
    for (const [id, seq] of marks) if (box.has(id)) m.set(id, seq);
    this.marks.set(conn, m);
  }

  async smSave(id: string, rec: SmRecord, ttlMs: number): Promise<void> {
    this.sm.set(id, { rec: { ...rec }, until: Date.now() + ttlMs });
  }

  async smGet(id: string): Promise<SmRecord | null> {
    const s = this.sm.get(id);
    if (!s || s.until <= Date.now()) return null;
    return { ...s.rec };
  }

  async smHandled(id: string, conn: string, h: number, ttlMs: number): Promise<void> {
    const s = this.sm.get(id);
    if (!s || s.rec.conn !== conn) return;
    if (h > s.rec.h) s.rec.h = h;
    s.until = Date.now() + ttlMs;
  }

  async smDrop(id: string): Promise<void> {
    this.sm.delete(id);
  }

  async detach(jid: string, conn: string, until: number): Promise<boolean> {
    const current = this.byBare.get(bareOf(jid))?.get(jid);
    if (!current || current.conn !== conn) return false;
    current.detached = until;
    this.detachedUntil.set(`${jid}\n${conn}`, until);
    return true;
  }

  async resume(jid: string, oldConn: string, to: { edge: string; conn: string }, smId: string): Promise<ResumedSession | null> {
    const map = this.byBare.get(bareOf(jid));
    const current = map?.get(jid);
    if (!map || !current || current.conn !== oldConn) return null;
    const previous = { ...current };
    const entry: ResourceEntry = { ...current, edge: to.edge, conn: to.conn };
    delete entry.detached;
    map.set(jid, entry);
    this.detachedUntil.delete(`${jid}\n${oldConn}`);
    const box = this.outboxes.get(oldConn) ?? new Map<string, string>();
    const marks = this.marks.get(oldConn) ?? new Map<string, number>();
    this.outboxes.delete(oldConn);
    this.marks.delete(oldConn);
    if (box.size) this.outboxes.set(to.conn, box);
    const s = this.sm.get(smId);
    if (s && s.rec.conn === oldConn) s.rec.conn = to.conn;
    return {
      previous,
      entry: { ...entry },
      record: s ? { ...s.rec } : null,
      outbox: withMarks(box, marks),
    };
  }

  async expireDetached(now = Date.now()): Promise<ResourceEntry[]> {
    const out: ResourceEntry[] = [];
    for (const [member, until] of this.detachedUntil) {
      if (until > now) continue;
      this.detachedUntil.delete(member);
      const [jid, conn] = member.split('\n') as [string, string];
      const current = this.byBare.get(bareOf(jid))?.get(jid);
      if (!current || current.conn !== conn || current.detached === undefined) continue;
      out.push({ ...current });
      await this.unregister(jid, conn);
    }
    return out;
  }

  async outboxAck(conn: string, ids: string[]): Promise<void> {
    const box = this.outboxes.get(conn);
    if (!box) return;
    for (const id of ids) {
      box.delete(id);
      this.marks.get(conn)?.delete(id);
    }
    if (box.size === 0) {
      this.outboxes.delete(conn);
      this.marks.delete(conn);
    }
  }

  async outboxPending(conn: string): Promise<Array<{ id: string; xml: string; seq?: number }>> {
    return withMarks(this.outboxes.get(conn), this.marks.get(conn));
  }

  async outboxTake(conn: string): Promise<string[]> {
    const box = this.outboxes.get(conn);
    this.outboxes.delete(conn);
    this.marks.delete(conn);
    return box ? [...box.values()] : [];
  }

  async list(opts: { cursor?: string; limit: number }): Promise<{ entries: ResourceEntry[]; cursor: string | null }> {
    const bares = [...this.byBare.keys()].filter((b) => opts.cursor === undefined || b > opts.cursor).sort();
    const entries: ResourceEntry[] = [];
    let last: string | null = null;
    for (const b of bares) {
      if (entries.length >= opts.limit) return { entries, cursor: last };
      entries.push(...(await this.resources(b)));
      last = b;
    }
    return { entries, cursor: null };
  }

  async connectionsPerEdge(): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    for (const map of this.byBare.values()) for (const e of map.values()) out.set(e.edge, (out.get(e.edge) ?? 0) + 1);
    return out;
  }

  async count(): Promise<number> {
    let n = 0;
    for (const m of this.byBare.values()) n += m.size;
    return n;
  }

  async close(): Promise<void> {}
}

/** An outbox in insertion order (oldest first), each delivery with its stream position if it has one. */
function withMarks(box: Map<string, string> | undefined, marks: Map<string, number> | undefined): Array<{ id: string; xml: string; seq?: number }> {
  return [...(box ?? [])].map(([id, xml]) => {
    const seq = marks?.get(id);
    return seq === undefined ? { id, xml } : { id, xml, seq };
  });
}
