import type { ChatroomContext, ChatroomEnv } from '@parley/ext';
import type { Registry } from 'prom-client';
import type { MucMetrics } from './metrics.ts';

export interface MucOptions {
  /** Who may create rooms over XMPP (XEP-0045 §10.1.1 leaves it to policy). */
  creators: 'admins' | 'local';
  /** Bare JIDs that administer every room (service admins, §5.1.1 note) and may always create rooms. */
  admins: string[];
  maxRoomsPerUser: number;
  historySize: number;
  maxOccupants: number;
  /**
   * A room with more occupants than this is overcrowded: occupants' presence is no longer broadcast to
   * the others, nor sent to joiners — only each occupant's own (ejabberd's max_users_presence). Absent: no bound.
   */
  maxUsersPresence?: number;
  /** Messages per minute per occupant and per room. */
  occupantRate: number;
  roomRate: number;
  /** A kicked user stays out this long, whatever resource or nickname it tries (issue 8 §4); default 30 s. */
  kickCooldownMs?: number;
  now?: () => number;
  /** Room archives (XEP-0313 §5.1.2) with these page sizes; absent: rooms keep no archive. */
  archive?: { defaultPage: number; maxPage: number } | null;
  /** The content filter's settings: groupchat is cleaned by the room (the filter's own hook sees only messages to accounts). */
  contentFilter?: { maxBodyChars: number; words: string[] } | null;
  /** The process's metrics registry; without one rooms export no metrics. */
  registry?: Registry;
}

/** What every handler of one room message works with. */
export interface Ctx {
  env: ChatroomEnv;
  opts: MucOptions;
  own: ChatroomContext;
  now(): number;
  /** The content filter's rules, compiled once (null: rooms do not filter). */
  filter: { maxBodyChars: number; words: RegExp | null } | null;
  metrics: MucMetrics | null;
}
