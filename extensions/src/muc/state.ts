// A room as its actor holds it: configuration, affiliations and occupants, rebuilt from the store
// (migrations/0005_muc.sql) when the actor activates (ARCHITECTURE.md, Actors).
import { createHash, randomBytes } from 'node:crypto';
import type { MucAffiliation } from '@parley/store';
import { caselessSkeleton } from '@parley/confusables';
import type { MemoryRateLimiter } from '@parley/ratelimit';

export type Role = 'moderator' | 'participant' | 'visitor' | 'none';
/** The roles an occupant can hold in the room (§5.1), those whose presence a room may broadcast (§10.2). */
export type OccupantRole = Exclude<Role, 'none'>;
export const OCCUPANT_ROLES: readonly OccupantRole[] = ['moderator', 'participant', 'visitor'];
export type Affiliation = MucAffiliation | 'none';

/** XEP-0045 §10.2 room configuration (muc#roomconfig fields). */
export interface RoomConfig {
  name: string;
  description: string;
  persistent: boolean;
  public: boolean;
  membersOnly: boolean;
  moderated: boolean;
  password: string | null;
  maxUsers: number;
  /** §10.2: who may discover occupants' real JIDs: semi-anonymous ('moderators') or non-anonymous ('anyone'). */
  whois: 'moderators' | 'anyone';
  allowInvites: boolean;
  changeSubject: boolean;
  allowPm: 'anyone' | 'participants' | 'moderators' | 'none';
  /**
   * §10.2 muc#roomconfig_presencebroadcast: the roles whose presence the room broadcasts to the other
   * occupants (the sender's role, as ejabberd and Prosody read it); an occupant of another role still
   * gets its own presence (110) and every groupchat message.
   */
  presenceBroadcast: OccupantRole[];
  /** XEP-0313 §5.1.2: the room keeps an archive; null follows persistence (on for persistent rooms). */
  archive: boolean | null;
  /** §10.1.1: a new room stays locked until its owner configures it (or accepts the defaults). */
  locked: boolean;
  /** Secret of this room's occupant ids (XEP-0421 §4: not derivable from the real JID by others). */
  salt: string;
}

export function defaultConfig(name: string, maxUsers: number): RoomConfig {
  return {
    name,
    description: '',
    persistent: false,
    public: true,
    membersOnly: false,
    moderated: false,
    password: null,
    maxUsers,
    whois: 'moderators',
    allowInvites: false,
    changeSubject: false,
    allowPm: 'anyone',
    presenceBroadcast: [...OCCUPANT_ROLES],
    archive: null,
    locked: true,
    salt: randomBytes(16).toString('base64url'),
  };
}

/** Stored configuration (a JSON object) read back over the defaults, so new fields get their default. */
export function configFrom(stored: Record<string, unknown>, name: string, maxUsers: number): RoomConfig {
  const c = { ...defaultConfig(name, maxUsers), ...(stored as Partial<RoomConfig>) };
  return c;
}

export interface OccupantSession {
  /** The occupant's real full JID. */
  jid: string;
  edge: string;
  conn: string;
  /** Children of its last presence to the room (show, status, …), serialized; null for none. */
  presence: string | null;
}

export interface Occupant {
  nick: string;
  /** Real bare JID: several resources of one account share the nickname (XEP-0045 §7.2.1 note). */
  bare: string;
  role: Role;
  sessions: Map<string, OccupantSession>;
}

export interface AffiliationEntry {
  affiliation: MucAffiliation;
  nick: string | null;
  reason: string | null;
}

export interface Room {
  kind: 'room';
  jid: string;
  exists: boolean;
  config: RoomConfig;
  subject: string | null;
  subjectBy: string | null;
  affiliations: Map<string, AffiliationEntry>;
  /** By nickname. */
  occupants: Map<string, Occupant>;
  /** Real full JID → nickname. */
  byJid: Map<string, string>;
  /** Token buckets per occupant (bare JID) and for the whole room (XEP-0045 §7.4 leaves rate policy to the service). */
  rates: MemoryRateLimiter;
  /** Kicked users (bare JID) and until when they may not come back, under any resource or nickname. */
  kicked: Map<string, number>;
}

export interface ServiceState {
  kind: 'service';
}

export type ChatState = Room | ServiceState;

export function affiliationOf(room: Room, bare: string): Affiliation {
  return room.affiliations.get(bare)?.affiliation ?? 'none';
}

/** §5.1.2 default roles: moderators are owners and admins; visitors are unaffiliated users of a moderated room. */
export function defaultRole(room: Room, aff: Affiliation): Role {
  if (aff === 'owner' || aff === 'admin') return 'moderator';
  if (aff === 'outcast') return 'none';
  if (aff === 'member') return 'participant';
  return room.config.moderated ? 'visitor' : 'participant';
}

const AFF_RANK: Record<Affiliation, number> = { outcast: 0, none: 1, member: 2, admin: 3, owner: 4 };
export const affRank = (a: Affiliation) => AFF_RANK[a];

/** XEP-0421 §3: the same id for the same real bare JID in this room, and nothing that reveals it. */
export function occupantId(room: Room, bare: string): string {
  return createHash('sha256').update(`${room.config.salt}\u0000${room.jid}\u0000${bare}`).digest('base64url').slice(0, 24);
}

export function occupantOf(room: Room, realJid: string): Occupant | undefined {
  const nick = room.byJid.get(realJid);
  return nick === undefined ? undefined : room.occupants.get(nick);
}

/** Every connection of every occupant, optionally only those a predicate admits. */
export function* allSessions(room: Room): Generator<{ occupant: Occupant; session: OccupantSession }> {
  for (const occupant of room.occupants.values()) for (const session of occupant.sessions.values()) yield { occupant, session };
}

/** Skeletons of occupants' nicknames, computed once per occupant and nickname. */
const skeletons = new WeakMap<Occupant, { nick: string; skeleton: string }>();
function skeletonOf(o: Occupant): string {
  const known = skeletons.get(o);
  if (known?.nick === o.nick) return known.skeleton;
  const skeleton = caselessSkeleton(o.nick);
  skeletons.set(o, { nick: o.nick, skeleton });
  return skeleton;
}

/**
 * §7.2.9: the nickname is occupied by, or reserved for (§7.10), another user (a different bare JID) —
 * or merely looks like such a nickname: the UTS #39 skeleton rule accounts obey (libs/confusables,
 * without case), so nobody takes "Аlice" (Cyrillic A) or "ALICE" next to Alice.
 */
export function nickTakenByOther(room: Room, nick: string, bare: string): boolean {
  return nickClash(room, nick, bare) !== null;
}

/** Why `nick` is not for `bare`: another user's nickname itself, or a look-alike of one (UTS #39 skeleton); null when free. */
export function nickClash(room: Room, nick: string, bare: string): 'nickname-conflict' | 'lookalike' | null {
  const o = room.occupants.get(nick);
  if (o && o.bare !== bare) return 'nickname-conflict';
  const reserved = [...room.affiliations].filter(([jid, a]) => jid !== bare && a.nick !== null && a.affiliation !== 'outcast');
  if (reserved.some(([, a]) => a.nick === nick)) return 'nickname-conflict';
  const wanted = caselessSkeleton(nick);
  for (const other of room.occupants.values()) if (other.bare !== bare && skeletonOf(other) === wanted) return 'lookalike';
  if (reserved.some(([, a]) => caselessSkeleton(a.nick!) === wanted)) return 'lookalike';
  return null;
}
