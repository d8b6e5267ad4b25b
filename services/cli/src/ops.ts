// /healthz, /readyz and /metrics for every Parley process (ARCHITECTURE.md, Interfaces for people).
import Fastify, { type FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import type { DependencyHealth } from './health.ts';

export interface OpsServer {
  port: number;
  /** Started (true) or draining (false); ready also needs every watched dependency. */
  setReady(ready: boolean): void;
  /** From now on, not ready while a dependency has been down past its grace (health.ts). */
  watch(health: DependencyHealth): void;
  close(): Promise<void>;
}

/** Why a process is not ready (the 503 body), or null when it is. */
export type Readiness = () => { reason: string; down?: string[] } | null;

export function mountOpsRoutes(app: FastifyInstance, registry: Registry, readiness: Readiness): void {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_req, reply) => {
    const not = readiness();
    return not ? reply.code(503).send({ status: 'not ready', ...not }) : { status: 'ready' };
  });
  app.get('/metrics', async (_req, reply) => reply.type(registry.contentType).send(await registry.metrics()));
}

export async function startOpsServer(registry: Registry, port: number, host: string): Promise<OpsServer> {
  let ready = false;
  let health: DependencyHealth | null = null;
  const app = Fastify({ logger: false });
  mountOpsRoutes(app, registry, () => {
    if (!ready) return { reason: 'starting or draining' };
    const down = health?.down() ?? [];
    return down.length ? { reason: 'dependencies unreachable', down } : null;
  });
  await app.listen({ port, host });
  const addr = app.server.address();
  return {
    port: typeof addr === 'object' && addr ? addr.port : port,
    setReady: (r) => {
      ready = r;
    },
    watch: (h) => {
      health = h;
    },
    close: async () => {
      health?.stop();
      await app.close();
    },
  };
}
