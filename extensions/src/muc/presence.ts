// Occupant presence in a room: what each viewer sees of an occupant (XEP-0045 §7.2.3-7.2.5: the
// real JID only to moderators in semi-anonymous rooms, to everyone in non-anonymous ones; status
// 110 to the occupant itself), and the fan-out of it, one bus message per edge and variant.
import { NS } from '@parley/stanza';
import { type Element, parseFragment, xml } from '@parley/xml';
import { MUC, STATUS } from './ns.ts';
import type { Ctx } from './options.ts';
import { affiliationOf, allSessions, type Occupant, type OccupantSession, occupantId, type Role, type Room } from './state.ts';

export interface PresenceShape {
  type?: 'unavailable';
  /** Status codes for everyone, and those only the occupant itself gets (besides 110). */
  codes?: string[];
  selfCodes?: string[];
  /** §7.6.3: the new nickname in the unavailable presence of a nick change (303). */
  newNick?: string;
  /** §8.2/§9.1: who kicked or banned, and why. */
  actorNick?: string;
  reason?: string;
  /** §10.9: the room was destroyed. */
  destroy?: Element;
  /** The session whose real JID is shown (default: the occupant's first). */
  session?: OccupantSession;
  /**
   * The others saw this occupant before this change (its role before a role change, or the room's
   * presencebroadcast before a new configuration): if they may no longer, they are told it left.
   */
  wasShown?: boolean;
}

/** §10.2 muc#roomconfig_presencebroadcast: the room broadcasts the presence of occupants of this role. */
export function broadcastsRole(room: Room, role: Role): boolean {
  return role !== 'none' && room.config.presenceBroadcast.includes(role);
}

/**
 * ejabberd's max_users_presence: a room of more than this many occupants is overcrowded and tells each
 * occupant only of itself — joins, exits and changes of the others are not broadcast, and a joiner gets
 * no roster. Filling a room otherwise costs N² presence stanzas (25 million for 5,000 occupants).
 */
export function overcrowded(ctx: Ctx, occupants: number): boolean {
  return ctx.opts.maxUsersPresence !== undefined && occupants > ctx.opts.maxUsersPresence;
}

/** Children of a client's presence that the room repeats (§7.2.3): not its MUC payloads or a spoofed occupant id (XEP-0421 §4). */
export function keptPresence(stanza: Element): string | null {
  const kept = stanza.getChildElements().filter((c) => c.getNS() !== MUC.base && c.getNS() !== MUC.user && c.getNS() !== MUC.occupantId);
  return kept.length ? kept.map((c) => c.toString()).join('') : null;
}

export function canSeeRealJids(room: Room, viewer: Occupant): boolean {
  return room.config.whois === 'anyone' || viewer.role === 'moderator';
}

/** The presence of `occ` as one kind of viewer sees it. */
export function occupantPresence(room: Room, occ: Occupant, shape: PresenceShape, viewer: { self: boolean; realJid: boolean }): Element {
  const p = xml('presence', { xmlns: NS.client, from: `${room.jid}/${occ.nick}`, type: shape.type });
  const session = shape.session ?? occ.sessions.values().next().value;
  if (shape.type !== 'unavailable' && session?.presence) {
    for (const c of parseFragment(`<p xmlns="${NS.client}">${session.presence}</p>`).getChildElements()) p.append(c.clone());
  }
  const item = xml('item', {
    affiliation: affiliationOf(room, occ.bare),
    role: shape.type === 'unavailable' ? 'none' : occ.role,
    jid: viewer.realJid && session ? session.jid : undefined,
    nick: shape.newNick,
  });
  if (shape.actorNick) item.append(xml('actor', { nick: shape.actorNick }));
  if (shape.reason) item.append(xml('reason', null, shape.reason));
  const x = xml('x', { xmlns: MUC.user }, item);
  if (shape.destroy) x.append(shape.destroy);
  const codes = [...(shape.codes ?? [])];
  if (viewer.self) codes.push(STATUS.self, ...(shape.selfCodes ?? []));
  for (const code of [...new Set(codes)].sort()) x.append(xml('status', { code }));
  p.append(x);
  p.append(xml('occupant-id', { xmlns: MUC.occupantId, id: occupantId(room, occ.bare) }));
  return p;
}

/**
 * §7.2.3-7.2.4: an occupant's presence to every occupant, in three variants at most (itself, those
 * who may see real JIDs, the others); each variant goes out as one bus message per edge.
 */
export async function broadcastPresence(ctx: Ctx, room: Room, occ: Occupant, shape: PresenceShape, extraSelf: OccupantSession[] = []): Promise<void> {
  // An occupant that is leaving has left room.occupants already; the room is counted with it.
  const crowd = room.occupants.size + (room.occupants.get(occ.nick) === occ ? 0 : 1);
  const shown = broadcastsRole(room, occ.role);
  // §10.2 presencebroadcast and overcrowding: the others hear of this occupant only if its role is
  // broadcast, or as leaving if it was shown to them before this change (Prosody does the same).
  const toOthers = !overcrowded(ctx, crowd) && (shown || shape.wasShown === true);
  const othersShape: PresenceShape = shown ? shape : { ...shape, type: 'unavailable' };
  const self: OccupantSession[] = [...extraSelf];
  const privileged: OccupantSession[] = [];
  const plain: OccupantSession[] = [];
  if (toOthers) {
    for (const { occupant, session } of allSessions(room)) {
      if (occupant === occ) {
        if (!self.includes(session)) self.push(session);
      } else if (canSeeRealJids(room, occupant)) privileged.push(session);
      else plain.push(session);
    }
  } else for (const session of occ.sessions.values()) if (!self.includes(session)) self.push(session);
  const send = async (to: OccupantSession[], viewer: { self: boolean; realJid: boolean }) => {
    // The others' privacy lists may refuse presence from this occupant (XEP-0016 presence-in, XEP-0191).
    const allowed = viewer.self || to.length === 0 ? to : await ctx.env.allowed(`${room.jid}/${occ.nick}`, 'presence', to);
    if (allowed.length) ctx.env.publish(allowed, occupantPresence(room, occ, viewer.self ? shape : othersShape, viewer).toString(), true);
  };
  await send(self, { self: true, realJid: true });
  await send(privileged, { self: false, realJid: true });
  await send(plain, { self: false, realJid: false });
}

/**
 * Each occupant's presence as others see it (real JID shown or not), serialized once and reused
 * for every joiner until something it shows changes: filling a room of N serializes N presences,
 * not N²/2.
 */
const rosterCache = new WeakMap<Occupant, Array<{ key: string; xml: string } | undefined>>();

function rosterEntry(room: Room, occ: Occupant, realJid: boolean): string {
  const session = occ.sessions.values().next().value;
  const key = [occ.nick, occ.role, affiliationOf(room, occ.bare), session?.jid, session?.presence, room.config.salt].join('\u0000');
  const slots = rosterCache.get(occ) ?? [];
  rosterCache.set(occ, slots);
  const slot = realJid ? 1 : 0;
  const known = slots[slot];
  if (known?.key === key) return known.xml;
  const xml = occupantPresence(room, occ, {}, { self: false, realJid }).toString();
  slots[slot] = { key, xml };
  return xml;
}

/** A roster goes out in bus messages of about this size (NATS refuses payloads over 1 MB by default). */
const ROSTER_CHUNK_CHARS = 256 * 1024;

/**
 * §7.2.3: the presence of every other occupant whose role the room broadcasts (§10.2), to a joining
 * session, in as few bus messages as fit (its edge stamps `to`); nothing in an overcrowded room.
 */
export async function sendRoster(ctx: Ctx, room: Room, to: OccupantSession, viewer: Occupant): Promise<void> {
  if (overcrowded(ctx, room.occupants.size)) return;
  const realJid = canSeeRealJids(room, viewer);
  let chunk: string[] = [];
  let chars = 0;
  for (const occ of room.occupants.values()) {
    if (occ === viewer || !broadcastsRole(room, occ.role)) continue;
    if ((await ctx.env.allowed(`${room.jid}/${occ.nick}`, 'presence', [to])).length === 0) continue;
    const xml = rosterEntry(room, occ, realJid);
    chunk.push(xml);
    chars += xml.length;
    if (chars >= ROSTER_CHUNK_CHARS) {
      ctx.env.publish([to], chunk, true);
      chunk = [];
      chars = 0;
    }
  }
  if (chunk.length) ctx.env.publish([to], chunk, true);
}
