// Readiness that tells the truth: a cluster process whose Redis or NATS goes away answers /readyz
// with 503 naming it once the grace has passed, logs the loss and the return at warn, shows the
// dependency's state in /metrics, and becomes ready again by itself. Private redis-server and
// nats-server processes are stopped and started; the machine's shared ones are never touched.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { freePort, PrivateBackends, type ServerProcess } from './backends.ts';
import { readyz } from './chaos.ts';
import { type ClusterProcess, TestCluster, waitFor } from './harness.ts';

const GRACE_MS = 1000;

/** A per-dependency gauge of the process's /metrics (`parley_dependency_up`, `…_seconds_since_healthy`). */
async function dependencyGauge(p: ClusterProcess, gauge: string, dependency: string): Promise<number | undefined> {
  const text = await (await fetch(`http://127.0.0.1:${p.opsPort}/metrics`, { signal: AbortSignal.timeout(5000) })).text();
  const line = text.split('\n').find((l) => l.startsWith(`${gauge}{`) && l.includes(`dependency="${dependency}"`));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : undefined;
}

const dependencyUp = (p: ClusterProcess, dependency: string) => dependencyGauge(p, 'parley_dependency_up', dependency);

/** Takes `server` away until /readyz names `dependency`, brings it back until ready: the times taken. */
async function outage(p: ClusterProcess, server: ServerProcess, dependency: string): Promise<{ notReadyMs: number; readyAgainMs: number }> {
  await server.kill();
  const lost = Date.now();
  await waitFor(async () => (await readyz(p)).down.includes(dependency), 15_000, () => `/readyz to name ${dependency}`);
  const notReadyMs = Date.now() - lost;
  // The grace counts from the last answered probe (up to one probe period before the kill), so the
  // time since the kill can be shorter: what must hold is that the process waited out the grace.
  const sinceHealthy = (await dependencyGauge(p, 'parley_dependency_seconds_since_healthy', dependency)) ?? 0;
  assert.ok(sinceHealthy * 1000 >= GRACE_MS, `not ready only ${sinceHealthy} s after the last answered probe`);
  assert.equal((await readyz(p)).code, 503);
  assert.equal(await dependencyUp(p, dependency), 0);
  await server.start();
  const back = Date.now();
  await waitFor(async () => (await readyz(p)).code === 200, 15_000, () => `/readyz to be 200 again after ${dependency} returned`);
  assert.equal(await dependencyUp(p, dependency), 1);
  return { notReadyMs, readyAgainMs: Date.now() - back };
}

test('a process is not ready while Redis or NATS is gone past the grace, and ready again by itself when it returns', { timeout: 120_000 }, async (t) => {
  const backends = new PrivateBackends();
  let cluster: TestCluster | undefined;
  try {
    const redis = await backends.redis();
    const natsPort = await freePort();
    const nats = await backends.nats(natsPort);
    cluster = await TestCluster.start({
      edges: 0,
      sessions: 1,
      presences: 0,
      label: 'readiness',
      urls: { redis: `redis://127.0.0.1:${redis.port}`, nats: `nats://127.0.0.1:${natsPort}` },
      env: { PARLEY_READINESS_GRACE_MS: String(GRACE_MS) },
    });
    const [proc] = cluster.live('session');
    assert.ok(proc);
    assert.deepEqual(await readyz(proc), { code: 200, down: [] });

    const r = await outage(proc, redis, 'location');
    t.diagnostic(`Redis: not ready ${r.notReadyMs} ms after it died, ready ${r.readyAgainMs} ms after it returned`);
    assert.ok(r.readyAgainMs < 5000);

    const n = await outage(proc, nats, 'bus');
    t.diagnostic(`NATS: not ready ${n.notReadyMs} ms after it died, ready ${n.readyAgainMs} ms after it returned`);
    assert.ok(n.readyAgainMs < 5000);

    const warned = proc.logs
      .filter((l) => l.includes('"level":"warn"') && l.includes('dependency'))
      .map((l) => JSON.parse(l) as { msg: string; dependency: string })
      .map((l) => `${l.msg}: ${l.dependency}`);
    assert.deepEqual(warned, ['dependency lost: location', 'dependency is back: location', 'dependency lost: bus', 'dependency is back: bus']);
  } finally {
    await cluster?.stop();
    await backends.stop();
  }
});
