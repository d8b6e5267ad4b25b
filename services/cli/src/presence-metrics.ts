// The cost of presence changes along the pruned tree (issue "Scale" item 1), as Prometheus counters:
// bus messages and location lookups per change are the ratios of these to `parley_presence_changes_total`.
import type { PresenceService } from '@parley/presence';
import { Counter, type Registry } from 'prom-client';

/** Counters read from the presence service's running totals when scraped. */
export function registerPresenceFanoutMetrics(registry: Registry, presence: PresenceService): void {
  const stats = () => presence.fanoutStats();
  // A counter mirrors a running total: reset, then raised to it, at each scrape.
  const mirror = (counter: Counter<string>, value: number) => {
    counter.reset();
    counter.inc(value);
  };
  new Counter({
    name: 'parley_presence_changes_total',
    help: 'Presence broadcasts of a resource to its subscribers (status changes, logins, logouts)',
    registers: [registry],
    collect() {
      mirror(this, stats().changes);
    },
  });
  new Counter({
    name: 'parley_presence_fanout_messages_total',
    help: 'Bus messages those broadcasts published (one per interested edge, or one per relay group)',
    registers: [registry],
    collect() {
      mirror(this, stats().messages);
    },
  });
  new Counter({
    name: 'parley_presence_interest_notices_total',
    help: 'Notices to contacts that one of their subscribers came or went (tree unprune and prune)',
    registers: [registry],
    collect() {
      mirror(this, stats().notices);
    },
  });
  new Counter({
    name: 'parley_presence_location_lookups_total',
    help: 'Location-service reads by the presence fan-out, by reason (build: a tree built; repair: an edge reported stale targets; roster: a subscription changed; own: the publisher’s own resources)',
    labelNames: ['reason'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [reason, n] of Object.entries(stats().lookups)) this.inc({ reason }, n);
    },
  });
}
