// What an extension contributes to the client stream at the edge (ARCHITECTURE.md, Extensions):
// stream features, IQs the edge answers itself, and per-connection hooks.
import type { Jid } from '@parley/jid';
import type { ResourcePatch } from '@parley/location';
import type { Logger } from '@parley/log';
import type { Store } from '@parley/store';
import type { FastifyInstance } from 'fastify';
import type { StreamErrorCondition } from '@parley/stanza';
import type { Element } from '@parley/xml';

/** RFC 6120 §4.3.2: features are offered before authentication, or after it (with bind). */
export type FeatureStage = 'before-auth' | 'after-auth';

export interface StreamFeature {
  stage: FeatureStage;
  element(): Element;
}

/** Negotiation stages at which an edge-local IQ is answered. */
export type LocalIqStage = 'before-bind' | 'established';

/** An IQ the edge answers without any actor (no state needed), e.g. the legacy session IQ. */
export interface LocalIq {
  type: 'get' | 'set';
  name: string;
  xmlns: string;
  stages: LocalIqStage[];
  /** The reply to send (a result or an error stanza). */
  handle(iq: Element): Element;
}

/** What a connection offers its extensions. */
export interface StreamApi {
  readonly id: string;
  readonly log: Logger;
  /** The bound full JID, or null before binding. */
  jid(): Jid | null;
  /** Write a non-stanza element (nonza) on the stream. */
  send(el: Element): void;
  streamError(condition: StreamErrorCondition, text?: string): void;
  isClosed(): boolean;
  /** Set fields of this connection's location entry (actors read them, e.g. `sm`, `carbons`). */
  patchEntry(patch: ResourcePatch): void;
  /** Deliveries kept for this connection (XEP-0198 outbox) were acknowledged by the client. */
  acknowledged(ids: string[]): void;
}

/** Hooks of one extension on one connection; every method is optional. */
export interface ConnectionHooks {
  /** Elements in this namespace that are not stanzas (nonzas) go to `nonza`. */
  readonly xmlns?: string;
  nonza?(el: Element, bound: boolean): void;
  /**
   * A stanza was admitted from the client. The returned function, if any, is called once the
   * stanza was handled (accepted by its actor, or answered at the edge), in any order.
   */
  stanzaIn?(): (() => void) | undefined;
  /** A stanza was written to the client; `deliveryId` when an actor asked to keep it until acknowledged. */
  stanzaOut?(xml: string, deliveryId: string | undefined): void;
  closed?(): void;
}

export interface EdgeContribution {
  features?: StreamFeature[];
  localIq?: LocalIq[];
  /** Called once per bound or unbound connection, when it is created. */
  connection?(api: StreamApi): ConnectionHooks;
  /**
   * Routes on the edge's HTTP port (the server that carries the WebSocket endpoint), registered in
   * their own encapsulated scope before it listens, e.g. XEP-0363 uploads. Cleanup goes in the app's onClose hook.
   */
  http?(app: FastifyInstance, env: HttpEnv): Promise<void>;
}

/** What an edge offers its modules' HTTP routes. */
export interface HttpEnv {
  readonly store: Pick<Store, 'uploads'>;
  readonly log: Logger;
}
