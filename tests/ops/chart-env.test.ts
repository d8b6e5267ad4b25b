// The pods' configuration, run for real: a Parley process started with the environment the chart
// gives an edge pod (ConfigMap + env, with this machine's NATS, Redis and Postgres and free ports)
// answers the probes' paths as the probes expect, and drains within the pod's grace period.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { DEFAULT_TEST_DATABASE_URL, openPostgres } from '@parley/store';
import { parleyArgs } from '../harness/parley-bin.ts';
import { find, rendered } from './chart.ts';

const URLS = {
  PARLEY_NATS_URL: process.env.PARLEY_TEST_NATS_URL ?? 'nats://127.0.0.1:4222',
  PARLEY_REDIS_URL: process.env.PARLEY_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
  PARLEY_DATABASE_URL: process.env.PARLEY_TEST_DATABASE_URL ?? DEFAULT_TEST_DATABASE_URL,
};

test('a process with an edge pod’s settings answers /healthz, /readyz and /metrics and drains in its grace period', { timeout: 90_000 }, async () => {
  const objects = rendered();
  const pod = find(objects, 'Deployment', 'parley-edge').spec.template.spec;
  const c = pod.containers[0];
  const env: Record<string, string> = { ...find(objects, 'ConfigMap', 'parley').data! };
  for (const e of c.env as { name: string; value?: string }[]) if (e.value !== undefined) env[e.name] = e.value;
  const suffix = randomBytes(4).toString('hex');
  const dataDir = mkdtempSync(join(tmpdir(), 'parley-chart-env-'));
  // The chart requires encrypted, authenticated backend links; this machine's are plaintext, so the
  // process would refuse to start (tests/cluster/internal-tls.test.ts runs the TLS links for real).
  assert.equal(env.PARLEY_REQUIRE_INTERNAL_TLS, 'true');
  Object.assign(env, URLS, {
    PARLEY_REQUIRE_INTERNAL_TLS: 'false',
    // Free ports instead of the pod's fixed ones (the machine's own Parley may hold them).
    PARLEY_C2S_PORT: '0', PARLEY_C2S_TLS_PORT: '0', PARLEY_HTTP_PORT: '0', PARLEY_OPS_PORT: '0',
    PARLEY_BIND_ADDRESS: '127.0.0.1', PARLEY_DATA_DIR: dataDir,
    PARLEY_CLUSTER_NAME: `chartenv${suffix}`, PARLEY_DATABASE_SCHEMA: `chart_env_${suffix}`, PARLEY_EDGE_ID: `parley-edge-${suffix}`,
  });
  const args = c.args as string[];
  assert.deepEqual(args, ['start', '--role', 'edge']);
  // The edge role alone needs actors to be ready for traffic, not for its probes: run it as the pod does.
  const child = spawn(process.execPath, [...(await parleyArgs()), ...args], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const logs: string[] = [];
  try {
    const opsPort = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no start within 60 s:\n${logs.join('\n')}`)), 60_000);
      createInterface({ input: child.stderr! }).on('line', (line) => {
        logs.push(line);
        if (line.includes('"parley cluster process started"')) {
          clearTimeout(timer);
          resolve(Number(JSON.parse(line).ops));
        }
      });
      child.once('exit', (code) => reject(new Error(`exited with ${code}:\n${logs.join('\n')}`)));
    });
    const get = (path: string) => fetch(`http://127.0.0.1:${opsPort}${path}`, { signal: AbortSignal.timeout(5000) });
    for (const probe of ['startupProbe', 'livenessProbe', 'readinessProbe']) {
      const res = await get(c[probe].httpGet.path);
      assert.equal(res.status, 200, `${probe} ${c[probe].httpGet.path}`);
    }
    const metrics = await (await get('/metrics')).text();
    assert.match(metrics, /^# TYPE parley_edge_connections gauge$/m);
    // What the ParleyNoEdge alert looks for: the gauge above has no series before a first client.
    assert.match(metrics, new RegExp(`^process_start_time_seconds\\{role="edge",instance="parley-edge-${suffix}"\\} `, 'm'), 'the pod name labels its series');
    const stoppedAt = Date.now();
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
    const drainMs = Date.now() - stoppedAt;
    const budgetMs = (pod.terminationGracePeriodSeconds - Number(c.lifecycle.preStop.exec.command[1])) * 1000;
    assert.ok(drainMs < budgetMs, `drained in ${drainMs} ms, the pod allows ${budgetMs} ms`);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
    const sql = await openPostgres(URLS.PARLEY_DATABASE_URL);
    await sql.exec(`DROP SCHEMA IF EXISTS chart_env_${suffix} CASCADE`);
    await sql.close();
  }
});
