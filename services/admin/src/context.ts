// What every group of admin routes is given. A new area (rooms, federation policy, registration
// settings when those services exist) is one more AdminModule: a function that defines its routes.
import type { Bus } from '@parley/bus';
import type { ParleyConfig } from '@parley/config';
import type { LocationService, ResourceEntry } from '@parley/location';
import type { Logger } from '@parley/log';
import type { Store } from '@parley/store';
import { edgeSubject } from '@parley/subjects';
import type { WireMessage } from '@parley/wire';
import type { AuditLog } from './audit.ts';
import type { ClusterView } from './cluster-view.ts';
import type { RouteBook } from './openapi.ts';
import type { TokenRepo } from './tokens.ts';

export interface AdminContext {
  config: Pick<ParleyConfig, 'domain' | 'scramIterations'>;
  log: Logger;
  store: Store;
  location: LocationService;
  bus: Bus<WireMessage>;
  tokens: TokenRepo;
  audit: AuditLog;
  cluster: ClusterView;
  routes: RouteBook;
  /** Brute-force lockouts (docs/security.md): unlocking an account lifts them too. */
  loginLocks?: LoginLocks;
}

export interface LoginLocks {
  unlock(username: string): Promise<void>;
}

export type AdminModule = (ctx: AdminContext) => void;

/**
 * Close these sessions' streams. RFC 6120 §4.9.3.14 policy-violation: "the entity has violated some
 * local service policy … the server MAY choose to specify the policy in the <text/> element" — an
 * administrator's decision is such a policy, and the reason goes in <text/>. (§4.9.3.16 `reset` is
 * for renegotiating security and invites an immediate reconnect, which a kick must not.)
 */
export function kickSessions(bus: Bus<WireMessage>, entries: ResourceEntry[], text: string): void {
  for (const e of entries) bus.publish(edgeSubject(e.edge), { kind: 'kick', conn: e.conn, condition: 'policy-violation', text });
}
