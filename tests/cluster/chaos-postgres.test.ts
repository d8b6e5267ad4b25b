// Chaos: Postgres stops for 10 s under chat traffic (issue 17, item 4). Messages between connected
// users need no store on their way (the recipient is online, the location service says where), so
// they keep flowing; what needs one (a login, an archive write) waits or fails with a stanza error the
// sender sees, never silently. Every process says it is not ready while the store is gone past the
// grace, and ready again by itself. A private Postgres cluster (initdb in a temporary directory)
// is stopped, never the machine's shared one.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { outageUnderTraffic, readyz } from './chaos.ts';
import { waitFor } from './harness.ts';

const GRACE_MS = 1000;

test('while Postgres is stopped for 10 s, connected users lose no acknowledged message, every process is not ready, and all recover within 5 s', { timeout: 150_000 }, async (t) => {
  await outageUnderTraffic(t, {
    label: 'postgres-stop',
    async start(b) {
      const server = await b.postgres();
      return { server, urls: { database: server.url } };
    },
    outageMs: 10_000,
    env: { PARLEY_READINESS_GRACE_MS: String(GRACE_MS) },
    async whileDown(cluster) {
      const lost = Date.now();
      const all = cluster.processes.filter((p) => p.alive);
      let seen = '';
      await waitFor(
        async () => {
          const rs = await Promise.all(all.map((p) => readyz(p).catch((err: Error) => ({ code: 0, down: [`unreachable: ${err.message}`] }))));
          seen = rs.map((r, i) => `${all[i]!.name}${all[i]!.alive ? '' : ' (dead)'} ${r.code} ${r.down.join(',')}`).join('; ');
          return rs.every((r) => r.code === 503 && r.down.includes('store'));
        },
        8_000,
        () => `every process to answer /readyz 503 naming the store (last: ${seen})\n${cluster.logTail(10)}`,
      );
      t.diagnostic(`every process not ready ${Date.now() - lost} ms after Postgres stopped`);
    },
    async after(cluster) {
      const all = cluster.processes.filter((p) => p.alive);
      await waitFor(async () => (await Promise.all(all.map(readyz))).every((r) => r.code === 200), 5_000, () => 'every process ready again');
      const back = cluster.logLines(/"dependency is back".*"dependency":"store"|"dependency":"store".*"dependency is back"/);
      assert.equal(back.length, all.length, `each process logged the store's return at warn:\n${back.join('\n')}`);
    },
  });
});
