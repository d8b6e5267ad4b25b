// XEP-0198 stream management, whole: the stream feature and the per-connection protocol at the
// edge (edge.ts), the outbox and re-routing at the session actor (session.ts).
import type { ExtensionModule } from '@parley/ext';
import { NS } from '@parley/stanza';
import { xml } from '@parley/xml';
import type { Registry } from 'prom-client';
import { smConnection } from './edge.ts';
import { smMetrics } from './metrics.ts';
import { smSession } from './session.ts';

export function streamManagement(opts: { registry?: Registry } = {}): ExtensionModule {
  const metrics = opts.registry ? smMetrics(opts.registry) : null;
  return {
    name: 'stream-management',
    specs: ['XEP-0198'],
    metrics: metrics ? ['parley_sm_enabled_total', 'parley_sm_deferred_acks_total'] : [],
    edge: {
      features: [{ stage: 'after-auth', element: () => xml('sm', { xmlns: NS.sm }) }],
      bind2Inline: [NS.sm],
      connection: (api) => smConnection(api, metrics),
    },
    session: smSession,
  };
}
