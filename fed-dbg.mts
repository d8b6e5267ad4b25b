import { freePort } from './tests/cluster/backends.ts';
import { DOMAIN, TestCluster } from './tests/cluster/harness.ts';
import { federationFixture } from './tests/cluster/scenarios/federation.ts';
import { sharedTopology } from './tests/cluster/shared.ts';
const t0 = Date.now();
const fed = await federationFixture(DOMAIN);
const topo = sharedTopology(await freePort(), fed.env);
topo.env = { ...topo.env, PARLEY_LOG_LEVEL: 'debug' };
const timer = setInterval(() => console.log('t', Date.now() - t0), 10000);
try {
  const c = await TestCluster.start(topo);
  console.log('started', Date.now() - t0);
  await c.stop();
} catch (e) { console.log(String(e).slice(0, 3000)); }
clearInterval(timer);
fed.remove();
