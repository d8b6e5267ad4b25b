// Deliveries the bus lost (decision 0022): NATS core is at-most-once, so a delivery published while
// this edge's subscription was gone (its connection or the server restarting), or in flight on a
// connection that died, never arrives, although the sender was told it was accepted. Whenever this
// edge, or any other process, gets its bus connection back, each connection's modules write again
// what they keep outside the edge and never wrote to the client (XEP-0198: the outbox).
import type { Bus } from '@parley/bus';
import type { Logger } from '@parley/log';
import { controlSubject } from '@parley/subjects';
import type { WireMessage } from '@parley/wire';
import { Counter, type Registry } from 'prom-client';
import type { C2SConnection } from './c2s/connection.ts';

export interface BusResyncDeps {
  instance: string;
  bus: Bus<WireMessage>;
  log: Logger;
  registry: Registry;
  /** The bound connections of this edge, at the time of the call. */
  sessions(): Iterable<C2SConnection>;
}

/** Connections asked at once: enough to fill Redis's pipeline, not to flood it. */
const BATCH = 200;

/** Starts listening; returns the stop function. */
export function busResync(deps: BusResyncDeps): () => void {
  const { bus, log } = deps;
  const passes = new Counter({ name: 'parley_edge_bus_resyncs_total', help: 'Times this edge looked for deliveries the bus may have lost (a process got its bus connection back)', registers: [deps.registry] });
  const resent = new Counter({ name: 'parley_edge_deliveries_resent_total', help: 'Deliveries written again to clients because the bus lost them', registers: [deps.registry] });
  let running: Promise<void> | null = null;
  const unchecked = (err: Error) => {
    log.warn('lost deliveries not checked', { err: err.message });
    return 0;
  };
  let again = false;

  async function pass(why: string): Promise<void> {
    passes.inc();
    const started = Date.now();
    const all = [...deps.sessions()];
    let n = 0;
    for (let i = 0; i < all.length; i += BATCH) {
      const found = await Promise.all(all.slice(i, i + BATCH).flatMap((c) => c.hooks.map((h) => h.deliveriesMayBeLost?.().catch(unchecked) ?? 0)));
      n += found.reduce((a, b) => a + b, 0);
    }
    resent.inc(n);
    if (n > 0) log.warn('deliveries the bus lost written again', { count: n, connections: all.length, why, ms: Date.now() - started });
  }

  /** One pass at a time; a request during a pass runs one more after it (what it read may predate the loss). */
  function request(why: string): void {
    if (running) {
      again = true;
      return;
    }
    running = pass(why).finally(() => {
      running = null;
      if (again) {
        again = false;
        request(why);
      }
    });
  }

  // Every cluster process announces its own reconnection (services/cli cluster.ts); this edge's own is handled here.
  const offReconnect = bus.onReconnect(() => request('this edge reconnected'));
  const sub = bus.subscribe(controlSubject('bus'), (m) => {
    if ('kind' in m && m.kind === 'bus-reconnected' && m.instance !== deps.instance) request(`${m.instance} reconnected`);
    return undefined;
  });
  return () => {
    offReconnect();
    sub.unsubscribe();
  };
}
