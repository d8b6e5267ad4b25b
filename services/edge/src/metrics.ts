import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export interface EdgeMetrics {
  connections: Gauge<'transport'>;
  stanzas: Counter<'kind' | 'direction'>;
  /** Per-stanza counting with label children resolved once (hot path). */
  stanzaIn(kind: string): void;
  stanzaOut(kind: 'message' | 'presence' | 'iq'): void;
  streamErrors: Counter<'condition'>;
  auth: Counter<'result' | 'mechanism'>;
  handoff: Histogram<'service'>;
  busErrors: Counter<'kind'>;
}

export function createEdgeMetrics(registry: Registry): EdgeMetrics {
  const stanzas = new Counter({ name: 'parley_edge_stanzas_total', help: 'Stanzas by kind and direction', labelNames: ['kind', 'direction'], registers: [registry] });
  const kinds = ['message', 'presence', 'iq'] as const;
  const inbound = new Map(kinds.map((k) => [k as string, stanzas.labels(k, 'in')]));
  const outbound = new Map(kinds.map((k) => [k as string, stanzas.labels(k, 'out')]));
  return {
    stanzas,
    stanzaIn: (kind) => (inbound.get(kind) ?? stanzas.labels(kind, 'in')).inc(),
    stanzaOut: (kind) => outbound.get(kind)!.inc(),
    connections: new Gauge({ name: 'parley_edge_connections', help: 'Open client connections', labelNames: ['transport'], registers: [registry] }),
    streamErrors: new Counter({ name: 'parley_edge_stream_errors_total', help: 'Stream errors sent, by condition', labelNames: ['condition'], registers: [registry] }),
    auth: new Counter({ name: 'parley_edge_auth_total', help: 'SASL outcomes', labelNames: ['result', 'mechanism'], registers: [registry] }),
    handoff: new Histogram({
      name: 'parley_edge_handoff_seconds',
      help: 'Edge to actor hand-off latency (request until the actor accepted)',
      labelNames: ['service'],
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1],
      registers: [registry],
    }),
    busErrors: new Counter({ name: 'parley_edge_bus_errors_total', help: 'Bus request failures', labelNames: ['kind'], registers: [registry] }),
  };
}
