// The edge's abuse limits (docs/security.md), wired once per edge: stanza limits at the admission
// stage, connection limits on accept, the brute-force gate around SASL.
import type { ParleyConfig } from '@parley/config';
import type { Logger } from '@parley/log';
import { type FailureLedger, MemoryFailureLedger, MemoryRateLimiter, type RateLimiter } from '@parley/ratelimit';
import type { Element } from '@parley/xml';
import type { Registry } from 'prom-client';
import type { Admission } from '../c2s/admission.ts';
import type { C2SConnection } from '../c2s/connection.ts';
import { type BruteForceGate, bruteForceGate, unlockAccount } from './brute-force.ts';
import { ConnectionLimits } from './connections.ts';
import { createLimitMetrics } from './metrics.ts';
import { StanzaLimits } from './stanzas.ts';

export { type BruteForceGate, claimedUser, guardSasl } from './brute-force.ts';
export { addressKey } from './address.ts';

export interface EdgeLimits {
  /** At the admission stage of an established stream: null to go on, or what to answer. */
  stanza(conn: C2SConnection, el: Element): Admission | null;
  connected(conn: C2SConnection): void;
  /** A direct-TLS socket before its handshake (counted against the unauthenticated cap); null: drop it. */
  handshake(ip: string): (() => void) | null;
  authenticated(conn: C2SConnection): void;
  closed(conn: C2SConnection): void;
  readonly auth: BruteForceGate;
  unlock(user: string): Promise<void>;
  /** Token buckets for modules' own limits (edge-local IQs, e.g. registrations per address): Redis in cluster mode. */
  readonly shared: RateLimiter;
}

/** Cluster mode shares the account buckets and the failure ledger through Redis. */
export interface SharedLimitState {
  limiter: RateLimiter;
  ledger: FailureLedger;
}

export function createEdgeLimits(config: ParleyConfig, log: Logger, registry: Registry, shared?: SharedLimitState): EdgeLimits {
  const metrics = createLimitMetrics(registry);
  const perSec = (n: number) => ({ perSec: n, burst: n * 3 });
  const perMin = (n: number) => ({ perSec: n / 60, burst: n });
  const stanzas = new StanzaLimits(
    {
      connection: perSec(config.limitStanzasPerSec),
      account: perSec(config.limitAccountStanzasPerSec),
      subscriptions: perMin(config.limitSubscriptionsPerMin),
      rosterWrites: perMin(config.limitRosterWritesPerMin),
    },
    metrics,
    shared?.limiter ?? null,
    log,
  );
  const connections = new ConnectionLimits(
    {
      newPerAddress: { perSec: config.limitConnectionsPerSec, burst: config.limitConnectionsPerSec * 10 },
      unauthenticatedPerAddress: config.limitUnauthenticated,
      headerTimeoutMs: config.streamHeaderTimeoutSec * 1000,
      exempt: new Set((config.limitExemptAddresses ?? '').split(',').filter(Boolean)),
    },
    metrics,
    log,
  );
  const ledger = shared?.ledger ?? new MemoryFailureLedger();
  const auth = bruteForceGate(
    {
      failuresBeforeDelay: config.authFailuresBeforeDelay,
      delayCapMs: config.authDelayCapSec * 1000,
      lockAfter: config.authLockAfter,
      lockMs: config.authLockSec * 1000,
      windowMs: config.authFailureWindowSec * 1000,
    },
    ledger,
    metrics,
    log,
  );
  return {
    stanza: (conn, el) => stanzas.check(conn, el),
    connected: (conn) => connections.connected(conn),
    handshake: (ip) => connections.handshake(ip),
    authenticated: (conn) => connections.authenticated(conn),
    closed: (conn) => connections.closed(conn),
    auth,
    unlock: (user) => unlockAccount(ledger, user),
    shared: shared?.limiter ?? new MemoryRateLimiter(),
  };
}
