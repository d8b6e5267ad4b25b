// parley_s2s_*: open streams per remote domain and direction, refusals by reason, queued stanzas;
// parley_component*: external components (XEP-0114).
import { Counter, Gauge, type Registry } from 'prom-client';

export interface S2SMetrics {
  connections: Gauge<'direction' | 'domain'>;
  authFailures: Counter<'direction' | 'reason'>;
  queueDepth: Gauge<'domain'>;
  stanzas: Counter<'direction'>;
  bounced: Counter<'condition'>;
  /** XEP-0114 components connected to this process, their stanzas, and refused handshakes. */
  components: Gauge;
  componentStanzas: Counter<'direction'>;
  componentRefused: Counter<'reason'>;
}

export function createS2SMetrics(registry: Registry): S2SMetrics {
  return {
    connections: new Gauge({ name: 'parley_s2s_connections', help: 'Authenticated server-to-server streams, by direction and remote domain.', labelNames: ['direction', 'domain'], registers: [registry] }),
    authFailures: new Counter({
      name: 'parley_s2s_auth_failures_total',
      help: 'Server-to-server streams refused or failed before authentication, by direction and reason (tls, no-certificate, untrusted, expired, wrong-name, pin-mismatch, refused-by-policy, sasl, connect, timeout).',
      labelNames: ['direction', 'reason'],
      registers: [registry],
    }),
    queueDepth: new Gauge({ name: 'parley_s2s_queue_depth', help: 'Stanzas waiting for an outbound stream to a remote domain.', labelNames: ['domain'], registers: [registry] }),
    stanzas: new Counter({ name: 'parley_s2s_stanzas_total', help: 'Stanzas sent to (out) and accepted from (in) remote servers.', labelNames: ['direction'], registers: [registry] }),
    bounced: new Counter({ name: 'parley_s2s_bounced_total', help: 'Stanzas answered with an error because their remote domain could not be reached.', labelNames: ['condition'], registers: [registry] }),
    components: new Gauge({ name: 'parley_components_connected', help: 'External components (XEP-0114) connected to this process.', registers: [registry] }),
    componentStanzas: new Counter({ name: 'parley_component_stanzas_total', help: 'Stanzas sent to (out) and accepted from (in) external components, and forwarded to the s2s process that holds one (forwarded).', labelNames: ['direction'], registers: [registry] }),
    componentRefused: new Counter({
      name: 'parley_component_refused_total',
      help: 'Component streams refused, by reason (host-unknown, not-authorized, conflict, not-loopback).',
      labelNames: ['reason'],
      registers: [registry],
    }),
  };
}
