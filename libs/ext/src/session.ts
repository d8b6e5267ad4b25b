// What an extension contributes to the session actor (one per account: messages and IQs to it).
import type { LocationService, ResourceEntry } from '@parley/location';
import type { Logger } from '@parley/log';
import type { StanzaErrorCondition } from '@parley/stanza';
import type { Store } from '@parley/store';
import type { ActorService } from '@parley/subjects';
import type { ActorRequest, Origin } from '@parley/wire';
import type { Element } from '@parley/xml';
import type { DiscoTarget } from './disco.ts';
import type { IqHandler, IqRequest } from './iq.ts';
import type { Handled, HookResult, Pass, Refuse, Rewrite } from './result.ts';

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
  /** A request to another actor, not awaited (e.g. a stanza for the account's presence actor, as from `origin`). */
  tell(service: ActorService, msg: ActorRequest): void;
}

export interface SessionIqRequest extends IqRequest {
  env: SessionEnv;
  /** The requesting connection, when the IQ came from one of the server's own clients. */
  origin?: Origin;
  /** Features of loaded modules for disco#info (XEP-0030). */
  disco(target: DiscoTarget): { features: string[]; identities: Element[]; items: Element[] };
  /** The loaded modules' disco items and nodes (XEP-0030 §4), for the disco module. */
  discoNodes: readonly DiscoNodeProvider[];
}

/**
 * XEP-0030 §3.2/§4: items and node info a module contributes to the addressee of a disco request
 * (a component it serves, the commands node of XEP-0050 §2.2, …). `undefined`: not this module's.
 */
export interface DiscoNodeProvider {
  /** Items for `node` (undefined: the addressee's top-level items, which every provider adds to). */
  items?(ctx: SessionIqRequest, node: string | undefined): Promise<Element[] | undefined> | Element[] | undefined;
  /**
   * The identities and features of a node the module owns; with no node, what it adds to the
   * addressee's own info (XEP-0128 extended information, e.g. XEP-0363 §2's max-file-size form).
   */
  info?(ctx: SessionIqRequest, node: string | undefined): Promise<Element[] | undefined> | Element[] | undefined;
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

/** A message to the account that passed 'before-route' and 'recipients' and is about to be delivered or stored. */
export interface AcceptedMessage extends InboundStanza {
  /** The edge's hand-off id (the same when a hand-off is retried), when it came from a client. */
  handoff?: string;
}

/** Work the session service repeats while it runs, on every session process (e.g. retention sweeps). */
export interface PeriodicTask {
  name: string;
  everyMs: number;
  run(env: SessionEnv): Promise<void>;
}

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
  /** 'disco-nodes': disco#items and node disco#info this module answers (XEP-0030 §4). */
  discoNodes?: DiscoNodeProvider;
  /** 'before-route': a message or IQ to the account, before anything else happens to it. */
  beforeRoute?(s: InboundStanza): HookResult | Promise<HookResult>;
  /**
   * 'recipients': after 'before-route', which of the account's resources a message or IQ may reach
   * (privacy lists, invisibility): `reach(subset)` routes as if only those were online (a message
   * none may reach goes to 'message-undeliverable', an IQ to a hidden full JID gets the offline
   * answer); `refuse(...)` answers the sender with an error; `HANDLED` drops it.
   */
  recipients?(s: Reachable): Promise<Reach | Refuse | Handled>;
  /**
   * 'remote-outbound': a message or IQ from one of the account's clients to another domain, in the
   * sender's actor before the federation service takes it (the sender's privacy lists): `PASS`,
   * `refuse(...)` (error to the sender) or `HANDLED` (dropped).
   */
  remoteOutbound?(s: InboundStanza): Promise<Pass | Refuse | Handled>;
  /** Bare JIDs whose resources the module needs for this message, looked up with the recipient's in one round trip. */
  lookups?(s: InboundStanza): string[];
  /**
   * 'message-accepted': after 'recipients', before the message is delivered, stored offline or
   * dropped; `rewrite(stanza)` routes the rewritten one (XEP-0359 stanza-id). Runs only while the
   * shard is owned; durable writes made here happen before the sender's hand-off is acknowledged.
   */
  accepted?(m: AcceptedMessage): Promise<Pass | Rewrite>;
  /** 'periodic': tasks the session service runs every `everyMs` from start to stop. */
  periodic?: PeriodicTask[];
  /** 'message-routed': after a message to the account was delivered live, stored, or dropped. */
  afterMessage?(m: RoutedMessage): Promise<void>;
  /** 'message-undeliverable': no resource can take it now (RFC 6121 §8.5.2.2); `handled` if kept. */
  undeliverable?(s: InboundStanza): Promise<Handled | Pass>;
  /** 'before-deliver': before a stanza is published to resources; a promise only when there is work to wait for. */
  beforeDeliver?(d: Delivery, env: SessionEnv): Promise<void> | undefined;
  /**
   * 'iq-response': a result or error from one of the account's resources to the server or the
   * account's bare JID, i.e. the answer to an IQ a module sent on the account's behalf; `HANDLED` if consumed.
   */
  response?(s: InboundStanza): Promise<Handled | Pass>;
  /** 'resource-gone': one of the account's connections ended. */
  resourceGone?(ctx: { env: SessionEnv; key: string; jid: string; conn: string }): Promise<void>;
  /** Actor requests this module serves, by kind. */
  requests?: Partial<{ [K in ActorRequest['kind']]: (msg: Extract<ActorRequest, { kind: K }>, env: SessionEnv) => Promise<void> }>;
}


