// XEP-0198 stream management, whole: the stream feature and the per-connection protocol with
// resumption at the edge (edge.ts), the outbox and re-routing at the session actor (session.ts).
import type { ExtensionModule } from '@parley/ext';
import { NS } from '@parley/stanza';
import { xml } from '@parley/xml';
import type { Registry } from 'prom-client';
import { smConnection } from './edge.ts';
import { SM_METRIC_NAMES, smMetrics } from './metrics.ts';
import { smSession } from './session.ts';

export type { SmConnectionHooks } from './edge.ts';

export function streamManagement(opts: { registry?: Registry; resumeSec?: number } = {}): ExtensionModule {
  const metrics = opts.registry ? smMetrics(opts.registry) : null;
  const resumeMs = (opts.resumeSec ?? 300) * 1000;
  return {
    name: 'stream-management',
    specs: ['XEP-0198'],
    settings: ['smResumeTimeoutSec'],
    metrics: metrics ? SM_METRIC_NAMES : [],
    edge: {
      features: [{ stage: 'after-auth', element: () => xml('sm', { xmlns: NS.sm }) }],
      bind2Inline: [NS.sm],
      // XEP-0198 §5 / XEP-0388 §2.1: resumption inside SASL2, offered only when resumption is on.
      sasl2Inline: resumeMs > 0 ? [() => xml('sm', { xmlns: NS.sm })] : [],
      connection: (api) => smConnection(api, { resumeMs, metrics }),
    },
    session: smSession,
  };
}
