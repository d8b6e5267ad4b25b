// What an extension contributes to the session actor (one per account: messages and IQs to it).
import type { LocationService, ResourceEntry } from '@parley/location';
import type { Logger } from '@parley/log';
import type { StanzaErrorCondition } from '@parley/stanza';
import type { Store } from '@parley/store';
import type { ActorRequest, Origin } from '@parley/wire';
import type { Element } from '@parley/xml';
import type { DiscoTarget } from './disco.ts';
import type { IqHandler, IqRequest } from './iq.ts';
import type { Handled, HookResult, Pass, Refuse } from './result.ts';

/** What the session actor offers its extensions. */
export interface SessionEnv {
  readonly domain: string;
  readonly location: LocationService;
  readonly store: Store;
  readonly log: Logger;
  /** Deliver to resources (the `beforeDeliver` hooks run first); `id` lets an edge drop a duplicate. */
  publish(recipients: ResourceEntry[], xml: string, opts?: { id?: string; stampRecipient?: boolean }): Promise<void>;
  answer(origin: Origin | undefined, el: Element): void;
  fail(stanza: Element, origin: Origin | undefined, condition: StanzaErrorCondition, text?: string, appCondition?: Element): void;
  /** RFC 6121 §8.5.2.1: route a message as if sent to the account's bare JID; returns who got it live. */
  messageToBare(key: string, stanza: Element, origin: Origin | undefined): Promise<ResourceEntry[]>;
}

export interface SessionIqRequest extends IqRequest {
  env: SessionEnv;
  /** Features of loaded modules for disco#info (XEP-0030). */
  disco(target: DiscoTarget): { features: string[]; identities: Element[]; items: Element[] };
}

/** A stanza addressed to the account, before it is routed (privacy, blocking, filters). */
export interface InboundStanza {
  env: SessionEnv;
  key: string;
  stanza: Element;
  origin: Origin | undefined;
}

/** A message to the account, with the location of the recipient's resources. */
export interface MessageRouting extends InboundStanza {
  /** Resources of the recipient and of every bare JID a module asked for in `lookups`. */
  where: Map<string, ResourceEntry[]>;
}

/** A message or IQ to the account with the resources it could reach (the location service's view). */
export interface Reachable extends InboundStanza {
  resources: ResourceEntry[];
}

/** The resources the stanza may reach; the others are treated as absent (offline-equivalent). */
export type Reach = { readonly kind: 'reach'; readonly resources: ResourceEntry[] };
export const reach = (resources: ResourceEntry[]): Reach => ({ kind: 'reach', resources });

export interface RoutedMessage extends MessageRouting {
  /** The connections it was delivered to live ([] when stored offline or dropped). */
  deliveredTo: ResourceEntry[];
}

export interface Delivery {
  recipients: ResourceEntry[];
  xml: string;
  id: string;
  stampRecipient: boolean;
}

export interface SessionContribution {
  iq?: IqHandler<SessionIqRequest>[];
  /** 'before-route': a message or IQ to the account, before anything else happens to it. */
  beforeRoute?(s: InboundStanza): HookResult | Promise<HookResult>;
  /**
   * 'recipients': after 'before-route', which of the account's resources a message or IQ may reach
   * (privacy lists, invisibility): `reach(subset)` routes as if only those were online (a message
   * none may reach goes to 'message-undeliverable', an IQ to a hidden full JID gets the offline
   * answer); `refuse(...)` answers the sender with an error; `HANDLED` drops it.
   */
  recipients?(s: Reachable): Promise<Reach | Refuse | Handled>;
  /** Bare JIDs whose resources the module needs for this message, looked up with the recipient's in one round trip. */
  lookups?(s: InboundStanza): string[];
  /** 'message-routed': after a message to the account was delivered live, stored, or dropped. */
  afterMessage?(m: RoutedMessage): Promise<void>;
  /** 'message-undeliverable': no resource can take it now (RFC 6121 §8.5.2.2); `handled` if kept. */
  undeliverable?(s: InboundStanza): Promise<Handled | Pass>;
  /** 'before-deliver': before a stanza is published to resources; a promise only when there is work to wait for. */
  beforeDeliver?(d: Delivery, env: SessionEnv): Promise<void> | undefined;
  /** 'resource-gone': one of the account's connections ended. */
  resourceGone?(ctx: { env: SessionEnv; key: string; jid: string; conn: string }): Promise<void>;
  /** Actor requests this module serves, by kind. */
  requests?: Partial<{ [K in ActorRequest['kind']]: (msg: Extract<ActorRequest, { kind: K }>, env: SessionEnv) => Promise<void> }>;
}


