// What an operator watches of the archive: how much is written, retracted and swept, and how long
// queries take (the p99 that docs/benchmarks.md measured offline).
import { Counter, Histogram, type Registry } from 'prom-client';

export interface ArchiveMetrics {
  written: Counter<'dir'>;
  retracted: Counter;
  swept: Counter;
  query: Histogram;
}

export const ARCHIVE_METRIC_NAMES = ['parley_archive_messages_total', 'parley_archive_retracted_total', 'parley_archive_swept_total', 'parley_archive_query_seconds'];

export function archiveMetrics(registry: Registry): ArchiveMetrics {
  return {
    written: new Counter({ name: 'parley_archive_messages_total', help: 'Messages written to archives (XEP-0313), by direction for the owner', labelNames: ['dir'], registers: [registry] }),
    retracted: new Counter({ name: 'parley_archive_retracted_total', help: 'Archived messages turned into XEP-0424 tombstones', registers: [registry] }),
    swept: new Counter({ name: 'parley_archive_swept_total', help: 'Archived messages deleted by the retention sweep', registers: [registry] }),
    query: new Histogram({
      name: 'parley_archive_query_seconds',
      help: 'Time to fetch one page of an archive query from the store',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers: [registry],
    }),
  };
}
