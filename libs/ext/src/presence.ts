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
import type { Handled, Pass, Refuse, Rewrite } from './result.ts';

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
  fail(stanza: Element, origin: Origin | undefined, condition: StanzaErrorCondition, text?: string, appCondition?: Element): void;
  /** A request to another actor, not awaited. */
  tell(service: ActorService, msg: ActorRequest): void;
  /** Deliver to resources, one bus message per edge; `stampRecipient` sets each one's full JID as `to`. */
  publish(recipients: ResourceEntry[], xml: string, stampRecipient: boolean): void;
}

/** Presence the account's actor sends on a module's behalf; every one goes through the 'presence-delivery' hooks. */
export interface PresenceActions {
  /** Unavailable from each available resource of the account (or only `from`) to one contact (RFC 6121 §3.2.3). */
  unavailableTo(contact: string, from?: string): Promise<void>;
  /** The current presence of each available resource of the account (or only `from`) to one contact (RFC 6121 §3.1.5). */
  currentTo(contact: string, from?: string): Promise<void>;
  /** What the resource's unavailable presence would do: to subscribers, own other resources and directed-presence targets (RFC 6121 §4.5.2). */
  goneFrom(resource: { jid: string; conn: string }): Promise<void>;
}

export interface PresenceIqRequest extends IqRequest {
  env: PresenceEnv;
  key: string;
  origin: Origin;
  roster: RosterAccess;
  presence: PresenceActions;
}

/** A presence stanza about to be delivered to resources, from `from` (a full JID, or a bare JID for subscription stanzas). */
export interface PresenceDelivery {
  env: PresenceEnv;
  from: string;
  /** Notifications are available/unavailable presence (XEP-0016 §2.1 presence-in/-out); the rest is subscription traffic. */
  kind: 'notification' | 'subscription';
  targets: ResourceEntry[];
}

export interface PresenceContribution {
  iq?: IqHandler<PresenceIqRequest>[];
  /** 'presence-outbound': a client's presence with a `to` (directed or subscription), before it is processed. */
  outbound?(ctx: { env: PresenceEnv; key: string; stanza: Element; origin: Origin; roster: RosterAccess }): Promise<Pass | Handled | Refuse>;
  /**
   * 'presence-inbound': a subscription stanza from another account, before the account processes it;
   * `HANDLED` drops it silently; `rewrite(stanza)` goes on with that stanza, whose child elements are
   * delivered with a subscription request (e.g. a warning annotation).
   */
  inbound?(ctx: { env: PresenceEnv; key: string; stanza: Element; roster: RosterAccess }): Promise<Pass | Handled | Rewrite>;
  /**
   * 'presence-delivery': every presence the actor delivers (broadcasts, probe answers, directed
   * presence, subscription stanzas) asks which of `targets` may receive it; returns those.
   */
  deliver?(d: PresenceDelivery): Promise<ResourceEntry[]>;
  /**
   * 'resource-unavailable': an available resource became unavailable (its unavailable presence,
   * what a module sent for it with `goneFrom`, or its connection ending), with its status text.
   */
  unavailable?(ctx: { env: PresenceEnv; key: string; jid: string; conn: string; status?: string }): Promise<void>;
  /** 'resource-gone': one of the account's connections ended; `available` if it had sent available presence. */
  resourceGone?(ctx: { env: PresenceEnv; key: string; jid: string; conn: string; available: boolean }): Promise<void>;
  /** 'roster-changed': an item was stored or removed (subscription change or roster set), with the new version. */
  rosterChanged?(ctx: { env: PresenceEnv; key: string; version: number; item: RosterItem | { contact: string; remove: true } }): Promise<void>;
  /**
   * 'resource-available': a resource became available for messages: its initial available presence
   * (RFC 6121 §4.2.2), or an available presence raising its priority from negative (XEP-0160 §2).
   */
  available?(ctx: { env: PresenceEnv; key: string; origin: Origin; priority: number }): void | Promise<void>;
  /**
   * 'own-available': an available presence from one of the account's resources, broadcast (no `to`)
   * or directed to an account (`directed`), before it is stored and sent: `PASS`, or `rewrite(stanza)`
   * to send that stanza instead (XEP-0398 §4 adds the avatar hash). Hooks run in module order, each
   * seeing the previous rewrite.
   */
  ownAvailable?(ctx: { env: PresenceEnv; key: string; origin: Origin; stanza: Element; directed: boolean }): Promise<Pass | Rewrite>;
  /**
   * 'own-presence': every available presence of one of the account's resources, after it was stored
   * and broadcast (entity capabilities, XEP-0115); `initial` when the resource was not available before.
   */
  ownPresence?(ctx: { env: PresenceEnv; key: string; origin: Origin; jid: string; stanza: Element; initial: boolean }): Promise<void>;
}
