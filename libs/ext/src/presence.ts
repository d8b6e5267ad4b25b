// What an extension contributes to the presence actor (one per account: roster, subscriptions,
// presence broadcast).
import type { LocationService, ResourceEntry } from '@parley/location';
import type { Logger } from '@parley/log';
import type { StanzaErrorCondition } from '@parley/stanza';
import type { RosterItem, Store } from '@parley/store';
import type { ActorService } from '@parley/subjects';
import type { ActorRequest, Origin } from '@parley/wire';
import type { Element } from '@parley/xml';
import type { IqHandler, IqRequest } from './iq.ts';

/** The account's roster as the presence actor holds it (RFC 6121 §2). */
export interface RosterAccess {
  readonly version: number;
  /** Every item, the hidden ones (pending requests not on the roster) included. */
  items(): RosterItem[];
  get(contact: string): RosterItem | undefined;
  /** Store an item; 'roster-changed' hooks run when it is visible. */
  save(item: RosterItem): Promise<void>;
  /** RFC 6121 §2.5.2: remove an item, cancelling subscriptions both ways; 'roster-changed' hooks run. */
  remove(contact: string): Promise<void>;
}

export interface PresenceEnv {
  readonly domain: string;
  readonly location: LocationService;
  readonly store: Store;
  readonly log: Logger;
  answer(origin: Origin | undefined, el: Element): void;
  fail(stanza: Element, origin: Origin | undefined, condition: StanzaErrorCondition, text?: string): void;
  /** A request to another actor, not awaited. */
  tell(service: ActorService, msg: ActorRequest): void;
  /** Deliver to resources, one bus message per edge; `stampRecipient` sets each one's full JID as `to`. */
  publish(recipients: ResourceEntry[], xml: string, stampRecipient: boolean): void;
}

export interface PresenceIqRequest extends IqRequest {
  env: PresenceEnv;
  key: string;
  origin: Origin;
  roster: RosterAccess;
}

export interface PresenceContribution {
  iq?: IqHandler<PresenceIqRequest>[];
  /** 'roster-changed': an item was stored or removed (subscription change or roster set), with the new version. */
  rosterChanged?(ctx: { env: PresenceEnv; key: string; version: number; item: RosterItem | { contact: string; remove: true } }): Promise<void>;
  /**
   * 'resource-available': a resource became available for messages: its initial available presence
   * (RFC 6121 §4.2.2), or an available presence raising its priority from negative (XEP-0160 §2).
   */
  available?(ctx: { env: PresenceEnv; key: string; origin: Origin; priority: number }): void | Promise<void>;
}
