// A room's actor state from the store, and its occupants checked against the location service on
// rebuild: after a crash the new owner keeps the occupants whose connections still exist and
// removes the rest (their sessions ended while nobody owned the room).
import { MemoryRateLimiter } from '@parley/ratelimit';
import { broadcastPresence } from './presence.ts';
import type { Ctx } from './options.ts';
import { configFrom, defaultConfig, type Occupant, type Role, type Room } from './state.ts';

export function emptyRoom(ctx: Ctx, jid: string): Room {
  return {
    kind: 'room',
    jid,
    exists: false,
    config: defaultConfig(jid.slice(0, jid.indexOf('@')), ctx.opts.maxOccupants),
    subject: null,
    subjectBy: null,
    affiliations: new Map(),
    occupants: new Map(),
    byJid: new Map(),
    // In the room actor's memory: one actor orders the room's traffic, so no shared store is needed.
    rates: new MemoryRateLimiter(ctx.now),
    kicked: new Map(),
  };
}

export async function loadRoom(ctx: Ctx, jid: string): Promise<Room> {
  const { muc } = ctx.env.store;
  const room = emptyRoom(ctx, jid);
  const record = await muc.getRoom(jid);
  if (!record) return room;
  room.exists = true;
  room.config = configFrom(record.config, jid.slice(0, jid.indexOf('@')), ctx.opts.maxOccupants);
  room.subject = record.subject;
  room.subjectBy = record.subjectBy;
  for (const a of await muc.affiliations(jid)) room.affiliations.set(a.jid, { affiliation: a.affiliation, nick: a.nick, reason: a.reason });
  const stored = await muc.occupants(jid);
  if (stored.length === 0) return room;
  const bares = [...new Set(stored.map((o) => o.realJid.slice(0, o.realJid.indexOf('/'))))];
  const live = new Set<string>();
  for (const list of (await ctx.env.location.resourcesOf(bares)).values()) for (const r of list) live.add(`${r.jid}\u0000${r.conn}`);
  const gone = new Map<string, Occupant>();
  for (const o of stored) {
    if (!live.has(`${o.realJid}\u0000${o.conn}`)) {
      await muc.removeOccupant(jid, o.realJid);
      const g = gone.get(o.nick) ?? { nick: o.nick, bare: o.realJid.slice(0, o.realJid.indexOf('/')), role: o.role as Role, sessions: new Map() };
      g.sessions.set(o.realJid, { jid: o.realJid, edge: o.edge, conn: o.conn, presence: null });
      gone.set(o.nick, g);
      continue;
    }
    const bare = o.realJid.slice(0, o.realJid.indexOf('/'));
    let occ: Occupant | undefined = room.occupants.get(o.nick);
    if (!occ) {
      occ = { nick: o.nick, bare, role: o.role as Role, sessions: new Map() };
      room.occupants.set(o.nick, occ);
    }
    occ.sessions.set(o.realJid, { jid: o.realJid, edge: o.edge, conn: o.conn, presence: o.presence });
    room.byJid.set(o.realJid, o.nick);
  }
  // The others learn that an occupant whose connections all ended is gone (§7.14).
  for (const g of gone.values()) if (!room.occupants.has(g.nick)) await broadcastPresence(ctx, room, g, { type: 'unavailable' }, []);
  return room;
}

export async function saveConfig(ctx: Ctx, room: Room): Promise<void> {
  ctx.own.owned();
  await ctx.env.store.muc.putRoom(room.jid, room.config as unknown as Record<string, unknown>);
}
