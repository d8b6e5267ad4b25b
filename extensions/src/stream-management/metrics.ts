import { Counter, type Registry } from 'prom-client';

export interface SmMetrics {
  enabled: Counter;
  deferredAcks: Counter;
}

export function smMetrics(registry: Registry): SmMetrics {
  return {
    enabled: new Counter({ name: 'parley_sm_enabled_total', help: 'XEP-0198 stream management enabled on a connection', registers: [registry] }),
    deferredAcks: new Counter({
      name: 'parley_sm_deferred_acks_total',
      help: 'Ack requests answered only after earlier stanzas were accepted by their actors',
      registers: [registry],
    }),
  };
}
