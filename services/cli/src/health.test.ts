// Readiness follows the backends: a blip shorter than the grace keeps the process ready, a longer
// loss makes it not ready with the dependency named, and its return makes it ready again.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLogger } from '@parley/log';
import { Registry } from 'prom-client';
import { watchDependencies } from './health.ts';

function metricsOf(text: string, name: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const m = new RegExp(`^${name}\\{dependency="(\\w+)"\\} (\\S+)$`).exec(line);
    if (m) out[m[1]!] = Number(m[2]);
  }
  return out;
}

test('a backend lost past the grace makes the process not ready, is logged at warn, and its return is too', async () => {
  let t = 1_000_000;
  const lines: string[] = [];
  const log = createLogger({ level: 'info', pretty: false, write: (l) => lines.push(l) });
  const registry = new Registry();
  let redisUp = true;
  const health = watchDependencies(
    [
      { name: 'bus', probe: async () => {} },
      { name: 'location', probe: async () => (redisUp ? 1 : Promise.reject(new Error('ECONNREFUSED'))) },
      { name: 'store', probe: () => new Promise(() => {}) as Promise<void> },
    ],
    { registry, log, graceMs: 3000, intervalMs: 20, now: () => t },
  );
  health.stop();
  // The store never answers at all: that is a failure too, after the probe period.
  await health.check();
  assert.deepEqual(health.down(), [], 'within the grace');
  t += 3000;
  assert.deepEqual(health.down(), ['store']);
  assert.equal(health.ready(), false);

  await health.check();
  redisUp = false;
  await health.check();
  t += 2000;
  assert.deepEqual(health.down(), ['store'], 'location is down for less than the grace');
  t += 1000;
  assert.deepEqual(health.down(), ['location', 'store']);
  const metrics = await registry.metrics();
  assert.deepEqual(metricsOf(metrics, 'parley_dependency_up'), { bus: 1, location: 0, store: 0 });
  assert.deepEqual(metricsOf(metrics, 'parley_dependency_seconds_since_healthy'), { bus: 0, location: 3, store: 6 });

  redisUp = true;
  await health.check();
  assert.deepEqual(health.down(), ['store']);
  const warnings = lines.map((l) => JSON.parse(l) as { level: string; msg: string; dependency: string }).filter((l) => l.level === 'warn');
  assert.deepEqual(
    warnings.map((w) => `${w.msg}: ${w.dependency}`),
    ['dependency lost: store', 'dependency lost: location', 'dependency is back: location'],
  );
});
