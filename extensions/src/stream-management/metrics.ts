import { Counter, type Registry } from 'prom-client';

export interface SmMetrics {
  enabled: Counter;
  deferredAcks: Counter;
  resumed: Counter;
  resumeFailed: Counter;
  detached: Counter;
  expired: Counter;
}

export const SM_METRIC_NAMES = [
  'parley_sm_enabled_total',
  'parley_sm_deferred_acks_total',
  'parley_sm_resumed_total',
  'parley_sm_resume_failed_total',
  'parley_sm_detached_total',
  'parley_sm_expired_total',
];

export function smMetrics(registry: Registry): SmMetrics {
  return {
    enabled: new Counter({ name: 'parley_sm_enabled_total', help: 'XEP-0198 stream management enabled on a connection', registers: [registry] }),
    deferredAcks: new Counter({
      name: 'parley_sm_deferred_acks_total',
      help: 'Ack requests answered only after earlier stanzas were accepted by their actors',
      registers: [registry],
    }),
    resumed: new Counter({ name: 'parley_sm_resumed_total', help: 'XEP-0198 streams resumed (on any edge)', registers: [registry] }),
    resumeFailed: new Counter({ name: 'parley_sm_resume_failed_total', help: 'XEP-0198 resumptions refused (unknown, expired or taken)', registers: [registry] }),
    detached: new Counter({ name: 'parley_sm_detached_total', help: 'Resumable sessions detached when their connection was lost', registers: [registry] }),
    expired: new Counter({ name: 'parley_sm_expired_total', help: 'Detached sessions whose resumption window passed (queue to offline storage)', registers: [registry] }),
  };
}
