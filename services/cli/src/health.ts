// Readiness that tells the truth (ARCHITECTURE.md, Interfaces for people): each cluster process
// probes the backends it cannot work without — the bus (NATS), the location service (Redis) and
// the store (Postgres) — and is not ready while one has been unreachable for longer than a short
// grace, so a load balancer stops sending it clients; it becomes ready again by itself.
import type { Logger } from '@parley/log';
import { Gauge, type Registry } from 'prom-client';

export type DependencyName = 'bus' | 'location' | 'store';

export interface Dependency {
  name: DependencyName;
  /** A cheap round trip to the backend; rejects (or does not settle in time) when it is unreachable. */
  probe(): Promise<unknown>;
}

export interface HealthOptions {
  registry: Registry;
  log: Logger;
  /** A dependency down for less than this still counts as ready (a blip must not empty a load balancer). */
  graceMs: number;
  /** Probe period (default 1000 ms); a probe slower than the period counts as failed. */
  intervalMs?: number;
  now?: () => number;
}

export interface DependencyHealth {
  /** True unless some dependency has been down for longer than the grace. */
  ready(): boolean;
  /** Dependencies down for longer than the grace. */
  down(): DependencyName[];
  /** Probe every dependency once now. */
  check(): Promise<void>;
  stop(): void;
}

interface State {
  dep: Dependency;
  up: boolean;
  /** When the last probe succeeded (or the watch started). */
  lastHealthy: number;
  /** When it was first seen down, for the log line on its return. */
  downSince: number;
}

export function watchDependencies(deps: Dependency[], opts: HealthOptions): DependencyHealth {
  const now = opts.now ?? Date.now;
  const intervalMs = opts.intervalMs ?? 1000;
  const states: State[] = deps.map((dep) => ({ dep, up: true, lastHealthy: now(), downSince: 0 }));
  new Gauge({
    name: 'parley_dependency_up',
    help: 'Whether the last probe of a backend this process needs succeeded (1) or not (0)',
    labelNames: ['dependency'],
    registers: [opts.registry],
    collect() {
      for (const s of states) this.set({ dependency: s.dep.name }, s.up ? 1 : 0);
    },
  });
  new Gauge({
    name: 'parley_dependency_seconds_since_healthy',
    help: 'Seconds since a backend this process needs last answered a probe (0 while it answers)',
    labelNames: ['dependency'],
    registers: [opts.registry],
    collect() {
      for (const s of states) this.set({ dependency: s.dep.name }, s.up ? 0 : (now() - s.lastHealthy) / 1000);
    },
  });

  async function probe(s: State): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        s.dep.probe(),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${intervalMs} ms`)), intervalMs);
        }),
      ]);
      if (!s.up) opts.log.warn('dependency is back', { dependency: s.dep.name, downMs: now() - s.downSince });
      s.up = true;
      s.lastHealthy = now();
    } catch (err) {
      if (s.up) {
        s.downSince = now();
        opts.log.warn('dependency lost', { dependency: s.dep.name, err: (err as Error).message });
      }
      s.up = false;
    } finally {
      clearTimeout(timer);
    }
  }

  let running: Promise<void> | null = null;
  const check = () => {
    running ??= Promise.all(states.map(probe)).then(() => {
      running = null;
    });
    return running;
  };
  const timer = setInterval(() => void check(), intervalMs);
  timer.unref();
  const down = () => states.filter((s) => !s.up && now() - s.lastHealthy >= opts.graceMs).map((s) => s.dep.name);

  return {
    ready: () => down().length === 0,
    down,
    check,
    stop: () => clearInterval(timer),
  };
}
