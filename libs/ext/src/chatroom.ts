// What an extension contributes to the chatroom service (one actor per room, and one for the
// chatroom service's own address): the room behaviour. The service hosts the actors, shards them,
// and gives the behaviour its environment; what a room does is the module's (XEP-0045).
import type { LocationService } from '@parley/location';
import type { Logger } from '@parley/log';
import type { StanzaErrorCondition } from '@parley/stanza';
import type { Store } from '@parley/store';
import type { ActorService } from '@parley/subjects';
import type { ActorRequest, Origin } from '@parley/wire';
import type { Element } from '@parley/xml';
import type { Pass, Rewrite } from './result.ts';

export interface ChatroomRecipient {
  edge: string;
  conn: string;
  jid: string;
}

export interface ChatroomEnv {
  /** The XMPP domain of local accounts. */
  readonly domain: string;
  /** The chatroom service's domain (conference.<domain> unless configured). */
  readonly service: string;
  readonly location: LocationService;
  readonly store: Store;
  readonly log: Logger;
  /** One bus message per edge holding recipients (several stanzas, in order, still one); `stampRecipient` sets each one's full JID as `to`. */
  publish(recipients: Iterable<ChatroomRecipient>, xml: string | string[], stampRecipient: boolean): void;
  /** A stanza to the connection a request came from. */
  answer(origin: Origin | undefined, el: Element): void;
  /** RFC 6120 §8.3 error reply to the sender (nothing for stanzas that must not be answered with one). */
  fail(stanza: Element, origin: Origin | undefined, condition: StanzaErrorCondition, text?: string, appCondition?: Element): void;
  /** A request to another actor, not awaited (e.g. a message to an account through its session actor). */
  tell(service: ActorService, msg: ActorRequest): void;
  /** The 'room-delivery' hooks of every module: which of `targets` may receive traffic from `from` (privacy). */
  allowed(from: string, kind: RoomDelivery['kind'], targets: ChatroomRecipient[]): Promise<ChatroomRecipient[]>;
  /** The 'occupant-presence' hooks of every module: the available presence `from` sent to a room, as the modules rewrite it. */
  occupantPresence(from: string, stanza: Element): Promise<Element>;
}

/** Room traffic from `from` (a room or occupant address) about to reach occupants' connections. */
export interface RoomDelivery {
  env: ChatroomEnv;
  from: string;
  kind: 'message' | 'presence';
  targets: ChatroomRecipient[];
}

/** Per message: `owned()` throws (the shard moved) when this instance may no longer write the room's durable state. */
export interface ChatroomContext {
  owned(): void;
}

/** The behaviour of room actors; `key` is a bare room JID, or the service domain itself. */
export interface RoomBehaviour<S = unknown> {
  activate(env: ChatroomEnv, key: string): Promise<S>;
  handle(env: ChatroomEnv, state: S, msg: ActorRequest, key: string, ctx: ChatroomContext): Promise<void>;
  /** Called once by the host with a view of the states its actors hold now (for gauges: rooms, occupants). */
  observe?(states: () => Iterable<S>): void;
  /** Stanzas one room may have waiting (its mailbox bound): a join burst of a full room must fit. */
  mailbox?: number;
}

export interface ChatroomContribution {
  /** At most one loaded module provides the rooms. */
  room?: RoomBehaviour;
  /** 'room-delivery': which targets may receive this room traffic (XEP-0016/0191 for occupants); returns those. */
  deliver?(d: RoomDelivery): Promise<ChatroomRecipient[]>;
  /**
   * 'occupant-presence': an available presence a user sent to a room (entering it or changing it),
   * before the room keeps and repeats it to the occupants; a hook may rewrite it (XEP-0398 §4 adds
   * the avatar hash, as the presence service does for presence that does not go to a room).
   */
  occupantPresence?(ctx: { env: ChatroomEnv; from: string; stanza: Element }): Promise<Pass | Rewrite>;
}
