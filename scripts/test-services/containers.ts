// The `containers` plan: testcontainers starts the missing services when a Docker engine answers.
import type { Service } from './plan.ts';

export async function dockerReachable(): Promise<boolean> {
  const { getContainerRuntimeClient } = await import('testcontainers');
  try {
    await Promise.race([getContainerRuntimeClient(), new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), 10_000))]);
    return true;
  } catch {
    return false;
  }
}

export async function startContainers(services: Service[]): Promise<{ urls: Partial<Record<Service, string>>; stop(): Promise<void> }> {
  const { GenericContainer, Wait } = await import('testcontainers');
  const started: { stop(): Promise<unknown> }[] = [];
  const urls: Partial<Record<Service, string>> = {};
  const stop = async () => {
    for (const c of started) await c.stop().catch(() => undefined);
  };
  try {
    for (const s of services) {
      if (s === 'postgres') {
        const c = await new GenericContainer('postgres:16-alpine')
          .withEnvironment({ POSTGRES_HOST_AUTH_METHOD: 'trust', POSTGRES_DB: 'test' })
          .withExposedPorts(5432)
          .withWaitStrategy(Wait.forLogMessage(/database system is ready to accept connections/, 2))
          .start();
        started.push(c);
        urls.postgres = `postgres://postgres@${c.getHost()}:${c.getMappedPort(5432)}/test`;
      } else if (s === 'redis') {
        const c = await new GenericContainer('redis:7-alpine').withExposedPorts(6379).withWaitStrategy(Wait.forLogMessage(/Ready to accept connections/)).start();
        started.push(c);
        urls.redis = `redis://${c.getHost()}:${c.getMappedPort(6379)}`;
      } else {
        const c = await new GenericContainer('nats:2-alpine').withCommand(['-js']).withExposedPorts(4222).withWaitStrategy(Wait.forLogMessage(/Server is ready/)).start();
        started.push(c);
        urls.nats = `nats://${c.getHost()}:${c.getMappedPort(4222)}`;
      }
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { urls, stop };
}
