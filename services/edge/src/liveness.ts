// The edge's liveness in the location service, and its repair: when a heartbeat finds that the
// location service no longer knows this edge (its liveness lapsed and the reaper may have removed
// its sessions, or Redis lost its data), every local session is registered again from what the
// edge keeps of it (ARCHITECTURE.md, Location service: liveness apart from location).
import type { LocationService, ResourceEntry } from '@parley/location';
import type { Logger } from '@parley/log';
import { parseFragment } from '@parley/xml';
import { Counter, type Registry } from 'prom-client';
import type { C2SConnection } from './c2s/connection.ts';
import type { EdgeContext } from './context.ts';

export interface LivenessDeps {
  edgeId: string;
  location: LocationService;
  log: Logger;
  registry: Registry;
  ttlMs: number;
  /** The bound connections of this edge, at the time of the call. */
  sessions(): Iterable<C2SConnection>;
  /** Hand a stanza of a connection to its actor (the presence re-announcement). */
  route: EdgeContext['route'];
}

export interface Liveness {
  /** The first heartbeat (before any connection registers), then one every third of the TTL. */
  start(): Promise<void>;
  stop(): void;
  /** Runs a heartbeat now; resolves once any repair it triggered is done (tests). */
  beat(): Promise<void>;
}

/** Registrations in flight at once during a repair: enough to fill Redis's pipeline, not to flood it. */
const REPAIR_BATCH = 200;
/** After a failed heartbeat the next comes sooner, so a returning Redis is noticed quickly. */
const RETRY_MS = 500;

export function edgeLiveness(deps: LivenessDeps): Liveness {
  const { edgeId, location, log } = deps;
  const repairs = new Counter({ name: 'parley_edge_location_repairs_total', help: 'Times this edge found its sessions missing from the location service and registered them again', registers: [deps.registry] });
  const repaired = new Counter({ name: 'parley_edge_sessions_reregistered_total', help: 'Sessions registered again after the location service lost them', registers: [deps.registry] });
  let timer: NodeJS.Timeout | null = null;
  let stopped = false;
  let failing = false;
  /** Set when a heartbeat found the edge unknown, cleared once every session is registered again. */
  let mustRepair = false;
  let running: Promise<void> | null = null;

  async function repair(): Promise<void> {
    const started = Date.now();
    const all = [...deps.sessions()];
    log.warn('the location service lost this edge’s sessions: registering them again', { sessions: all.length });
    repairs.inc();
    let restored = 0;
    for (let i = 0; i < all.length; i += REPAIR_BATCH) {
      const done = await Promise.all(all.slice(i, i + REPAIR_BATCH).map((c) => reRegister(c)));
      restored += done.filter(Boolean).length;
    }
    repaired.inc(restored);
    log.warn('sessions registered again in the location service', { sessions: restored, ms: Date.now() - started });
  }

  /** Register the connection's entry as the edge last knew it; true if it was missing. */
  async function reRegister(conn: C2SConnection): Promise<boolean> {
    if (!conn.jid || conn.isClosed()) return false;
    const entry: ResourceEntry = { priority: 0, available: false, ...conn.entry, jid: conn.jid.toString(), edge: edgeId, conn: conn.id };
    const r = await location.register(entry);
    if (!r.ok) {
      // RFC 6120 §7.7.2.2: a newer session bound the same resource meanwhile, and the newer one wins.
      if (r.current.conn !== conn.id) conn.streamError('conflict', 'replaced by a new connection for the same resource');
      return false;
    }
    // Contacts may have been told this resource went away (the reaper ran during a lapse): its
    // presence goes through its presence actor again, which broadcasts it (RFC 6121 §4.2.2).
    if (entry.available && entry.presence) {
      const presence = parseFragment(entry.presence);
      presence.setAttr('from', entry.jid);
      const bare = entry.jid.slice(0, entry.jid.indexOf('/'));
      deps.route(presence, 'presence', bare, conn, conn.nextHandOffId()).catch((err) => log.warn('presence re-announcement failed', { err: (err as { cause?: Error }).cause?.message ?? String(err), jid: entry.jid }));
    }
    return true;
  }

  async function beat(): Promise<void> {
    let continued: boolean;
    try {
      continued = await location.heartbeat(edgeId, deps.ttlMs);
    } catch (err) {
      if (!failing) log.warn('heartbeat to the location service failed', { err: (err as Error).message });
      failing = true;
      return;
    }
    if (failing) log.warn('heartbeat to the location service works again');
    failing = false;
    if (!continued) mustRepair = true;
    if (!mustRepair) return;
    try {
      await repair();
      mustRepair = false;
    } catch (err) {
      // The next beat (soon) tries again: a repair cut short must not leave sessions unknown.
      failing = true;
      throw err;
    }
  }

  function schedule(): void {
    if (stopped) return;
    timer = setTimeout(
      () => {
        running = beat()
          .catch((err) => log.warn('location repair failed', { err: (err as Error).message }))
          .finally(() => {
            running = null;
            schedule();
          });
      },
      failing ? Math.min(RETRY_MS, deps.ttlMs / 3) : deps.ttlMs / 3,
    );
    timer.unref();
  }

  return {
    async start() {
      // Liveness before location: an edge with entries but no heartbeat counts as dead. Nothing
      // is registered yet, so the first beat's answer has nothing to repair.
      await location.heartbeat(edgeId, deps.ttlMs);
      schedule();
    },
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
    async beat() {
      await running;
      await beat();
    },
  };
}
