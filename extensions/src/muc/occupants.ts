// Entering and leaving a room, presence updates and nickname changes (XEP-0045 §7.1-7.6, §7.14),
// with the room's durable occupant list kept in step (so a new owner can rebuild it after a crash).
import type { StanzaErrorCondition } from '@parley/stanza';
import type { Origin } from '@parley/wire';
import { type Element, parseFragment, xml } from '@parley/xml';
import { NS } from '@parley/stanza';
import { MUC, STATUS } from './ns.ts';
import type { RefusalReason } from './metrics.ts';
import type { Ctx } from './options.ts';
import { broadcastPresence, keptPresence, occupantPresence, type PresenceShape, sendRoster } from './presence.ts';
import { type Affiliation, affRank, affiliationOf, defaultConfig, defaultRole, nickClash, type Occupant, type OccupantSession, occupantOf, type Room } from './state.ts';
import { loadRoom } from './store.ts';

export type Outcome = { error: StanzaErrorCondition; text?: string } | null;

/** A refusal, counted by reason (parley_muc_refused_total). */
export function refuse(ctx: Ctx, reason: RefusalReason, outcome: NonNullable<Outcome>): NonNullable<Outcome> {
  ctx.metrics?.refused.inc({ reason });
  return outcome;
}

/** A kick holds for a while against every resource and nickname of the user (issue 8 §4). */
export function kickedNow(ctx: Ctx, room: Room, bare: string): boolean {
  const until = room.kicked.get(bare);
  return until !== undefined && until > ctx.now();
}

/** Service administrators count as owners of every room (§5.1.1, issue: admins). */
export function effectiveAffiliation(ctx: Ctx, room: Room, bare: string): Affiliation {
  if (ctx.opts.admins.includes(bare)) return 'owner';
  return affiliationOf(room, bare);
}

export async function persistSession(ctx: Ctx, room: Room, occ: Occupant, s: OccupantSession): Promise<void> {
  ctx.own.owned();
  await ctx.env.store.muc.putOccupant(room.jid, { realJid: s.jid, nick: occ.nick, role: occ.role, edge: s.edge, conn: s.conn, presence: s.presence });
}

/** §10.1.1: who may create a room is the service's policy; owners are limited in how many rooms they hold. */
async function mayCreate(ctx: Ctx, bare: string): Promise<Outcome> {
  const admin = ctx.opts.admins.includes(bare);
  if (!admin && !(ctx.opts.creators === 'local' && bare.endsWith(`@${ctx.env.domain}`))) return { error: 'not-allowed', text: 'only administrators may create rooms' };
  if (!admin && (await ctx.env.store.muc.ownedBy(bare)).length >= ctx.opts.maxRoomsPerUser) {
    return { error: 'not-allowed', text: `you already own ${ctx.opts.maxRoomsPerUser} rooms` };
  }
  return null;
}

/** Create the room in the store, locked, with `owner` as its owner (§10.1.1). */
export async function createRoom(ctx: Ctx, room: Room, owner: string, config = defaultConfig(room.jid.slice(0, room.jid.indexOf('@')), ctx.opts.maxOccupants)): Promise<void> {
  ctx.own.owned();
  await ctx.env.store.muc.putRoom(room.jid, config as unknown as Record<string, unknown>);
  await ctx.env.store.muc.setAffiliation(room.jid, { jid: owner, affiliation: 'owner' });
  room.exists = true;
  room.config = config;
  room.affiliations.set(owner, { affiliation: 'owner', nick: null, reason: null });
}

/** A client's presence to `room/nick` (or the room): join, presence change, nickname change or exit. */
export async function onPresence(ctx: Ctx, room: Room, stanza: Element, origin: Origin | undefined, nick: string | null): Promise<Outcome> {
  const from = stanza.attr('from');
  const type = stanza.attr('type');
  if (!from) return null;
  if (type === 'unavailable') {
    await leave(ctx, room, from, undefined, stanza.getChildText('status'));
    return null;
  }
  if (type !== undefined) return null; // probes, subscriptions, errors: nothing for a room to do
  // §7.2.1 (and §7.6.3 for a change): entering needs a nickname.
  if (nick === null || nick.trim() === '') return { error: 'jid-malformed', text: 'a room nickname is required' };
  if (!origin) return null;
  const current = occupantOf(room, from);
  if (current) {
    if (current.nick === nick) return presenceUpdate(ctx, room, current, from, stanza);
    return changeNick(ctx, room, current, nick);
  }
  return join(ctx, room, stanza, origin, nick);
}

async function join(ctx: Ctx, room: Room, stanza: Element, origin: Origin, nick: string): Promise<Outcome> {
  const from = stanza.attr('from')!;
  const bare = from.slice(0, from.indexOf('/'));
  let created = false;
  if (!room.exists) {
    Object.assign(room, await loadRoom(ctx, room.jid)); // created since (e.g. by `parley room create`)
    if (!room.exists) {
      const refused = await mayCreate(ctx, bare);
      if (refused) return refused;
      await createRoom(ctx, room, bare);
      created = true;
    }
  }
  const aff = effectiveAffiliation(ctx, room, bare);
  const muc = stanza.getChild('x', MUC.base);
  // §7.2.7: banned users cannot enter, under any nickname or resource (the ban is on the bare JID).
  if (aff === 'outcast') return refuse(ctx, 'banned', { error: 'forbidden', text: 'you are banned from this room' });
  // A kick holds for a while against every resource and nickname of the user.
  if (kickedNow(ctx, room, bare)) return refuse(ctx, 'kicked', { error: 'forbidden', text: 'you were kicked from this room; try again later' });
  // §10.1.1: a locked room admits only its owner until it is configured.
  if (room.config.locked && aff !== 'owner') return { error: 'item-not-found', text: 'the room is being set up' };
  // §7.2.6: members-only rooms admit members, admins and owners.
  if (room.config.membersOnly && affRank(aff) < affRank('member')) return refuse(ctx, 'members-only', { error: 'registration-required', text: 'this room is for members only' });
  // §7.2.5: password-protected rooms.
  if (room.config.password !== null && muc?.getChildText('password') !== room.config.password) return { error: 'not-authorized', text: 'a correct password is required' };
  // §7.2.9: the nickname is in use or reserved by someone else (or looks like such a nickname).
  const clash = nickClash(room, nick, bare);
  if (clash) return refuse(ctx, clash, { error: 'conflict', text: 'that nickname is in use' });
  const existing = room.occupants.get(nick);
  // §7.2.10: the room is full (admins and owners may still enter).
  if (!existing && room.occupants.size >= Math.min(room.config.maxUsers, ctx.opts.maxOccupants) && affRank(aff) < affRank('admin')) {
    return { error: 'service-unavailable', text: 'the room is full' };
  }
  const occ: Occupant = existing ?? { nick, bare, role: defaultRole(room, aff), sessions: new Map() };
  const session: OccupantSession = { jid: from, edge: origin.edge, conn: origin.conn, presence: keptPresence(await ctx.env.occupantPresence(from, stanza)) };
  await persistSession(ctx, room, occ, session);
  occ.sessions.set(from, session);
  room.occupants.set(nick, occ);
  room.byJid.set(from, nick);
  await sendRoster(ctx, room, session, occ);
  const selfCodes: string[] = [];
  if (room.config.whois === 'anyone') selfCodes.push(STATUS.nonAnonymous); // §7.2.4
  if (created) selfCodes.push(STATUS.created); // §10.1.1
  await broadcastPresence(ctx, room, occ, { session, selfCodes });
  await sendHistory(ctx, room, session, muc?.getChild('history'));
  sendSubject(ctx, room, session);
  return null;
}

async function presenceUpdate(ctx: Ctx, room: Room, occ: Occupant, from: string, stanza: Element): Promise<Outcome> {
  const session = occ.sessions.get(from)!;
  session.presence = keptPresence(await ctx.env.occupantPresence(from, stanza));
  await persistSession(ctx, room, occ, session);
  await broadcastPresence(ctx, room, occ, { session }); // §7.7
  return null;
}

/** §7.6: a nickname change, announced as the old nickname leaving (303) and the new one arriving. */
async function changeNick(ctx: Ctx, room: Room, occ: Occupant, nick: string): Promise<Outcome> {
  const clash = nickClash(room, nick, occ.bare) ?? (room.occupants.has(nick) ? 'nickname-conflict' : null);
  if (clash) return refuse(ctx, clash, { error: 'conflict', text: 'that nickname is in use' });
  const old = occ.nick;
  await broadcastPresence(ctx, room, occ, { type: 'unavailable', codes: [STATUS.nickChanged], newNick: nick });
  room.occupants.delete(old);
  occ.nick = nick;
  room.occupants.set(nick, occ);
  for (const s of occ.sessions.values()) {
    room.byJid.set(s.jid, nick);
    await persistSession(ctx, room, occ, s);
  }
  await broadcastPresence(ctx, room, occ, {});
  return null;
}

/** §7.14: one session leaves; the occupant is gone when its last session is. `conn` guards against a stale notice. */
export async function leave(ctx: Ctx, room: Room, jid: string, conn?: string, status?: string): Promise<void> {
  const occ = occupantOf(room, jid);
  const session = occ?.sessions.get(jid);
  if (!occ || !session || (conn !== undefined && session.conn !== conn)) return;
  ctx.own.owned();
  await ctx.env.store.muc.removeOccupant(room.jid, jid);
  occ.sessions.delete(jid);
  room.byJid.delete(jid);
  const shape: PresenceShape = { type: 'unavailable', session, reason: undefined };
  if (occ.sessions.size === 0) {
    room.occupants.delete(occ.nick);
    await broadcastPresence(ctx, room, occ, shape, [session]);
  } else {
    ctx.env.publish([session], occupantPresence(room, occ, shape, { self: true, realJid: true }).toString(), true);
  }
  void status;
  await dropIfEmpty(ctx, room);
}

/** Remove an occupant with all its sessions (kick, ban, membership lost, destroy), telling everyone why. */
export async function removeOccupant(ctx: Ctx, room: Room, occ: Occupant, shape: PresenceShape): Promise<void> {
  ctx.own.owned();
  const sessions = [...occ.sessions.values()];
  for (const s of sessions) {
    await ctx.env.store.muc.removeOccupant(room.jid, s.jid);
    room.byJid.delete(s.jid);
  }
  room.occupants.delete(occ.nick);
  await broadcastPresence(ctx, room, occ, { type: 'unavailable', ...shape, session: sessions[0] }, sessions);
  occ.sessions.clear();
}

/** §3 (temporary room): destroyed when its last occupant leaves. */
export async function dropIfEmpty(ctx: Ctx, room: Room): Promise<void> {
  if (room.occupants.size > 0 || room.config.persistent || !room.exists) return;
  ctx.own.owned();
  await ctx.env.store.muc.deleteRoom(room.jid);
  Object.assign(room, { exists: false, affiliations: new Map(), subject: null, subjectBy: null });
}

/** §7.2.15: history limited by what the client asked (maxchars, maxstanzas, seconds, since). */
async function sendHistory(ctx: Ctx, room: Room, to: OccupantSession, ask: Element | undefined): Promise<void> {
  if (ctx.opts.historySize === 0) return;
  const num = (name: string) => {
    const v = ask?.attr(name);
    const n = v === undefined ? Number.NaN : Number.parseInt(v, 10);
    return Number.isFinite(n) && n >= 0 ? n : undefined;
  };
  const maxstanzas = num('maxstanzas');
  const maxchars = num('maxchars');
  const seconds = num('seconds');
  const sinceRaw = ask?.attr('since');
  const since = sinceRaw ? Date.parse(sinceRaw) : Number.NaN;
  if (maxstanzas === 0 || maxchars === 0) return;
  let entries = await ctx.env.store.muc.history(room.jid, ctx.opts.historySize);
  if (seconds !== undefined) entries = entries.filter((e) => e.at.getTime() >= ctx.now() - seconds * 1000);
  if (Number.isFinite(since)) entries = entries.filter((e) => e.at.getTime() > since);
  if (maxstanzas !== undefined) entries = entries.slice(-maxstanzas);
  const out: string[] = [];
  let chars = 0;
  for (let i = entries.length - 1; i >= 0; i--) {
    const e = entries[i]!;
    const msg = parseFragment(e.stanza);
    // XEP-0203: when it was sent, by the room.
    msg.append(xml('delay', { xmlns: NS.delay, from: room.jid, stamp: e.at.toISOString() }));
    const s = msg.toString();
    chars += s.length;
    if (maxchars !== undefined && chars > maxchars) break;
    out.unshift(s);
  }
  for (const s of out) ctx.env.publish([to], s, true);
}

/** §7.2.16: the subject (empty when none) ends the join sequence. */
function sendSubject(ctx: Ctx, room: Room, to: OccupantSession): void {
  const from = room.subjectBy ? `${room.jid}/${room.subjectBy}` : room.jid;
  const msg = xml('message', { xmlns: NS.client, type: 'groupchat', from, id: `subject-${Date.now().toString(36)}` }, xml('subject', null, room.subject ?? ''));
  ctx.env.publish([to], msg.toString(), true);
}
