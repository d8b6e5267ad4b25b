import { freePort } from './tests/cluster/backends.ts';
import { DOMAIN, TestCluster } from './tests/cluster/harness.ts';
import { federationFixture } from './tests/cluster/scenarios/federation.ts';
import { sharedTopology } from './tests/cluster/shared.ts';
import { cpus, loadavg } from 'node:os';
const fed = await federationFixture(DOMAIN);
for (const round of [1, 2]) {
  for (const s2s of [2, 0]) {
    const topo = { ...sharedTopology(await freePort(), fed.env), s2s };
    const t0 = Date.now();
    try {
      const c = await TestCluster.start(topo);
      const ms = Date.now() - t0;
      // CPU time of the cluster's processes so far (utime+stime from /proc, in ms)
      const { readFileSync } = await import('node:fs');
      let cpu = 0;
      for (const p of c.processes) { const f = readFileSync(`/proc/${p.pid}/stat`, 'utf8').split(') ')[1]!.split(' '); cpu += (Number(f[11]) + Number(f[12])) * 10; }
      console.log(JSON.stringify({ round, s2s, startMs: ms, clusterCpuMs: cpu, load: loadavg()[0].toFixed(1) }));
      await c.stop();
    } catch (e) { console.log(JSON.stringify({ round, s2s, failed: String(e).slice(0, 200), load: loadavg()[0].toFixed(1) })); }
  }
}
fed.remove();
