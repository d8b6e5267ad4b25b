// The longer chaos benchmark of issue 17: parley-load chat traffic on a cluster (2 edges, 2 session,
// 1 presence) over private NATS, Redis and Postgres servers, while each fault of docs/reliability.md
// happens in turn inside the measured window. parley-load's clients have no XEP-0198, so what it
// counts as lost includes messages in flight when a fault struck that nobody acknowledged; the chaos
// tests (tests/cluster/chaos-*.test.ts) are the ones that separate acknowledged from unacknowledged.
// Usage: node --import tsx loadtest/bench/chaos.ts   (env: USERS=100 RATE=0.5 GAP=12; FAULTS=0 for the
// same run without faults, the baseline to compare with)
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { freePort, PrivateBackends } from '../../tests/cluster/backends.ts';
import { DOMAIN, ROOT, TestCluster } from '../../tests/cluster/harness.ts';

const USERS = Number(process.env.USERS ?? 100);
const RATE = process.env.RATE ?? '0.5';
const FAULTS = process.env.FAULTS !== '0';
/** Seconds between two faults (and before the first, after the warm-up). */
const GAP = Number(process.env.GAP ?? 12);
const sleep = (s: number) => new Promise((r) => setTimeout(r, s * 1000));
const stamp = (t0: number) => `${((Date.now() - t0) / 1000).toFixed(1)} s`;

const b = new PrivateBackends();
let cluster: TestCluster | undefined;
try {
  // One after the other: initdb runs synchronously and would stall the others' start-up checks.
  const pg = await b.postgres();
  const nats = await b.nats(await freePort());
  const redis = await b.redis();
  cluster = await TestCluster.start({
    edges: 2,
    sessions: 2,
    presences: 1,
    label: 'chaos-bench',
    urls: { nats: `nats://127.0.0.1:${nats.port}`, redis: `redis://127.0.0.1:${redis.port}`, database: pg.url },
    // The generator logs every user in from 127.0.0.1 (docs/security.md, per-address limits).
    env: { PARLEY_LIMIT_EXEMPT_ADDRESSES: '127.0.0.1' },
  });
  const c = cluster;
  await c.addUsers(Array.from({ length: USERS }, (_, i) => `user${i + 1}`));
  const faults: Array<[string, () => Promise<void>]> = [
    ['NATS kill -9, back after 2 s', async () => { await nats.kill(); await sleep(2); await nats.start(); }],
    ['Redis kill -9, back empty after 2 s', async () => { await redis.kill(); await sleep(2); await redis.start(); }],
    ['Postgres immediate stop, back after 5 s', async () => { await pg.kill(); await sleep(5); await pg.start(); }],
    // A new process takes the dead one's place (the other session process takes its shards meanwhile).
    ['a session process kill -9 (a new one started)', async () => { await c.live('session')[0]!.kill(); await c.spawn('session'); }],
    ['a presence process kill -9 (a new one started)', async () => { await c.live('presence')[0]!.kill(); await c.spawn('presence'); }],
  ];
  const warmup = 5;
  const duration = GAP * (faults.length + 1);
  const out = join(b.dir, 'load');
  const load = spawn(
    process.execPath,
    ['--import', 'tsx', join(ROOT, 'loadtest/src/main.ts'), 'chat', '--host', '127.0.0.1', '--port', c.edges().map((e) => e.c2s).join(','), '--domain', DOMAIN,
      '--users', String(USERS), '--password-pattern', 'user%d-pw', '--arrival-rate', '50', '--msg-rate', RATE, '--warmup', String(warmup),
      '--duration', String(duration), '--drain', '20', '--out', out, '--no-html', '--quiet'],
    { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] },
  );
  const done = new Promise<number | null>((resolve) => load.once('exit', resolve));
  // Logins at 50/s, then the warm-up: the measured window starts about then.
  const t0 = Date.now() + (USERS / 50 + warmup) * 1000;
  await sleep(USERS / 50 + warmup + GAP);
  const timeline: string[] = [];
  for (const [what, fault] of faults) {
    timeline.push(`${stamp(t0)} ${FAULTS ? what : `(no fault: ${what})`}`);
    if (FAULTS) await fault();
    timeline.push(`${stamp(t0)} … over`);
    await sleep(GAP);
  }
  const code = await done;
  const r = JSON.parse(readFileSync(join(out, 'result.json'), 'utf8'));
  console.log(`\nfaults (time in the measured window):\n${timeline.join('\n')}`);
  console.log(`parley-load exit ${code}; users ${USERS} at ${RATE} msg/s each, ${duration} s measured`);
  console.log(`most online at once ${r.maxOnline} of ${USERS}; messages: sent ${r.messages.sent}, received ${r.messages.received}, lost ${r.messages.lost}; errors ${JSON.stringify(r.errors)}`);
  console.log(`latency ms p50 ${r.latencyMs.p50} p99 ${r.latencyMs.p99} max ${r.latencyMs.max}; load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
  const offline = await c.store.sql.query<{ n: string }>('SELECT count(*) AS n FROM offline_messages');
  console.log(`offline storage rows (every user stayed online): ${offline[0]?.n}`);
} finally {
  await cluster?.stop().catch((err: Error) => console.error(`cluster stop: ${err.message}`));
  await b.stop();
}

