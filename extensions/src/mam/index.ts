// XEP-0313 message archive management, whole: archiving (with XEP-0359 stanza-ids, XEP-0424
// retraction tombstones, XEP-0308 corrections), queries (XEP-0059 paging, XEP-0431 full-text
// search), preferences, and the retention sweep.
import type { ExtensionModule } from '@parley/ext';
import type { ArchiveMode } from '@parley/store';
import type { Registry } from 'prom-client';
import { archiver } from './archiving.ts';
import { ARCHIVE_METRIC_NAMES, archiveMetrics } from './metrics.ts';
import { NS_FULLTEXT, NS_MAM, NS_MAM_EXTENDED, NS_RETRACT, NS_SID } from './ns.ts';
import { prefsHandlers } from './prefs.ts';
import { queryHandlers } from './query.ts';

export { archivable, archivableInRoom, archivedContent, tombstone, withoutForgedIds } from './archiving.ts';
export { FULLTEXT_FIELD, NS_MAM, NS_MAM_EXTENDED, NS_RETRACT, NS_SID } from './ns.ts';
export { type ArchivePageRequest, parseQuery, type QueryLimits, queryForm, servePage } from './query.ts';

export interface ArchiveOptions {
  /** §6: what is archived for a user who set no preferences. */
  defaultMode: ArchiveMode;
  /** Messages older than this many days are deleted by the sweep; 0 keeps them forever. */
  retentionDays: number;
  /** How often the retention sweep runs. */
  sweepEveryMs: number;
  /** Page size when the client gives none, and the largest page served. */
  defaultPage: number;
  maxPage: number;
  now?: () => Date;
  /** The process's metrics registry; without one the module exports no metrics. */
  registry?: Registry;
}

/** Messages the sweep deletes per statement: keeps each transaction short on a large archive. */
const SWEEP_BATCH = 5000;

export function messageArchive(opts: ArchiveOptions): ExtensionModule {
  const now = opts.now ?? (() => new Date());
  const metrics = opts.registry ? archiveMetrics(opts.registry) : null;
  return {
    name: 'mam',
    specs: ['XEP-0313', 'XEP-0059', 'XEP-0359', 'XEP-0424', 'XEP-0308', 'XEP-0431'],
    // §7: the feature is advertised by the account (its own bare JID), which holds the archive.
    disco: [
      { on: ['own-account'], features: [NS_MAM, NS_MAM_EXTENDED, NS_FULLTEXT] },
      { on: ['server', 'own-account'], features: [NS_SID, NS_RETRACT] },
    ],
    settings: ['archiveDefaultMode', 'archiveRetentionDays', 'archiveSweepIntervalSec', 'archivePageSize', 'archiveMaxPageSize'],
    storage: ['archive_messages', 'archive_prefs'],
    metrics: metrics ? ARCHIVE_METRIC_NAMES : [],
    session: {
      iq: [...queryHandlers({ defaultPage: Math.min(opts.defaultPage, opts.maxPage), maxPage: opts.maxPage, metrics }), ...prefsHandlers(opts.defaultMode)],
      accepted: archiver({ defaultMode: opts.defaultMode, now, metrics }),
      periodic:
        opts.retentionDays > 0
          ? [
              {
                name: 'archive-retention',
                everyMs: opts.sweepEveryMs,
                async run(env) {
                  const cutoff = new Date(now().getTime() - opts.retentionDays * 86_400_000);
                  let n = 0;
                  do {
                    n = await env.store.archive.sweep(cutoff, SWEEP_BATCH);
                    metrics?.swept.inc(n);
                  } while (n === SWEEP_BATCH);
                },
              },
            ]
          : [],
    },
  };
}
