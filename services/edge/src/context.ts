import type { ParleyConfig } from '@parley/config';
import type { EdgeExtensions } from '@parley/ext';
import type { LocationService, ResourceEntry } from '@parley/location';
import type { Logger } from '@parley/log';
import type { Store } from '@parley/store';
import type { StreamErrorCondition } from '@parley/stanza';
import type { ActorService } from '@parley/subjects';
import type { ActorRequest } from '@parley/wire';
import type { Element } from '@parley/xml';
import type { C2SConnection } from './c2s/connection.ts';
import type { EdgeLimits } from './limits/index.ts';
import type { EdgeMetrics } from './metrics.ts';

/** What a client connection may ask of its edge: explicit dependencies, no singletons. */
export interface EdgeContext {
  readonly config: ParleyConfig;
  readonly log: Logger;
  readonly edgeId: string;
  readonly store: Pick<Store, 'users' | 'fastTokens' | 'loginHistory' | 'invitations' | 'clientCerts'>;
  readonly location: LocationService;
  readonly fakeSaltSecret: Buffer;
  readonly metrics: EdgeMetrics;
  /** Abuse limits (docs/security.md): stanza admission, connection counts, the brute-force gate. */
  readonly limits: EdgeLimits;
  /** Stream features, edge-local IQs and per-connection hooks of the loaded extension modules. */
  readonly ext: EdgeExtensions;
  /** A bound connection joins the edge's table of deliverable connections. */
  register(conn: C2SConnection): void;
  /** A connection ended; if it was bound: presence cleanup, then its location entry goes. */
  connectionClosed(conn: C2SConnection): Promise<void>;
  /** Hand an admitted stanza to the owning actor; rejects with `{ condition }` when refused. */
  route(stanza: Element, service: ActorService, key: string, conn: C2SConnection, id: string): Promise<void>;
  /** Close another connection (possibly on another edge) with a stream error. */
  kick(entry: ResourceEntry, condition: StreamErrorCondition, text: string): void;
  /** The client acknowledged these kept deliveries (XEP-0198): drop them from its outbox. */
  acknowledged(conn: C2SConnection, ids: string[]): void;
  /** Sessions that ended without a connection (a detached XEP-0198 session expired): tell the actors. */
  sessionsGone(entries: ResourceEntry[]): void;
  /** A request to an actor, not awaited (modules' `StreamApi.tell`). */
  tell(service: ActorService, msg: ActorRequest): void;
  /** Close, on every edge, the streams that signed in with this credential (`StreamApi.revokeCredential`). */
  revokeCredential(credential: string, text: string): void;
}
