// /healthz, /readyz and /metrics for every Parley process (ARCHITECTURE.md, Interfaces for people).
import Fastify, { type FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';

export interface OpsServer {
  port: number;
  setReady(ready: boolean): void;
  close(): Promise<void>;
}

export function mountOpsRoutes(app: FastifyInstance, registry: Registry, isReady: () => boolean): void {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_req, reply) => (isReady() ? { status: 'ready' } : reply.code(503).send({ status: 'not ready' })));
  app.get('/metrics', async (_req, reply) => reply.type(registry.contentType).send(await registry.metrics()));
}

export async function startOpsServer(registry: Registry, port: number, host: string): Promise<OpsServer> {
  let ready = false;
  const app = Fastify({ logger: false });
  mountOpsRoutes(app, registry, () => ready);
  await app.listen({ port, host });
  const addr = app.server.address();
  return {
    port: typeof addr === 'object' && addr ? addr.port : port,
    setReady: (r) => {
      ready = r;
    },
    close: () => app.close(),
  };
}
