import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** Every limit in docs/security.md, as the `limit` label of parley_limit_refused_total. */
export type LimitName =
  | 'connection-stanzas'
  | 'account-stanzas'
  | 'flood-disconnect'
  | 'new-connections'
  | 'unauthenticated'
  | 'header-timeout'
  | 'subscriptions'
  | 'roster-writes'
  | 'auth-delayed'
  | 'auth-locked';

export interface LimitMetrics {
  refused(limit: LimitName): void;
  unauthenticated: Gauge;
  authDelay: Histogram;
}

export function createLimitMetrics(registry: Registry): LimitMetrics {
  const refused = new Counter({ name: 'parley_limit_refused_total', help: 'Stanzas, connections and logins refused or slowed by an abuse limit', labelNames: ['limit'], registers: [registry] });
  const children = new Map<string, ReturnType<typeof refused.labels>>();
  return {
    refused(limit) {
      let c = children.get(limit);
      if (!c) {
        c = refused.labels(limit);
        children.set(limit, c);
      }
      c.inc();
    },
    unauthenticated: new Gauge({ name: 'parley_edge_unauthenticated_connections', help: 'Connections not yet authenticated', registers: [registry] }),
    authDelay: new Histogram({
      name: 'parley_auth_delay_seconds',
      help: 'Wait added before answering a login attempt after repeated failures',
      buckets: [1, 2, 4, 8, 16, 32, 64],
      registers: [registry],
    }),
  };
}
