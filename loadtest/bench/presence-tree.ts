// The pruned presence tree's cost per status change (issue "Scale" item 1), in process: the presence
// actor with the default modules, the location service in Redis (as in cluster mode) and the store in
// Postgres, publishing to counting edge stand-ins on an in-process bus.
//
//   node --import tsx loadtest/bench/presence-tree.ts [--subscribers 10000] [--edges 2,100] [--changes 200] [--relay-above 16]
//
// For each edge count: one publisher with N online subscribers spread evenly over the edges makes
// `changes` status changes after her tree was built. Reported per change: bus messages the publisher
// published, edge deliveries, subscriber location lookups (the tree's point: zero), and the process's
// CPU time. For comparison it times what the fan-out did before the tree on every change: one
// location read of every subscriber (`resourcesOf`) against the same Redis.
// URLs: PARLEY_BENCH_REDIS_URL (else redis://127.0.0.1:6379), PARLEY_BENCH_DATABASE_URL (else the test database).
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { LocalBus } from '@parley/bus';
import { loadModules } from '@parley/ext';
import { defaultModules } from '@parley/extensions';
import { RedisLocation, type ResourceEntry } from '@parley/location';
import { createLogger } from '@parley/log';
import { buildPresenceService } from '@parley/presence';
import { createStore, DEFAULT_TEST_DATABASE_URL, migrate, openPostgres } from '@parley/store';
import { actorSubject, edgeSubject } from '@parley/subjects';
import type { WireMessage } from '@parley/wire';
import { parseFragment } from '@parley/xml';

const { values } = parseArgs({
  options: {
    subscribers: { type: 'string', default: '10000' },
    edges: { type: 'string', default: '2,100' },
    changes: { type: 'string', default: '200' },
    'relay-above': { type: 'string', default: '16' },
  },
});
const SUBSCRIBERS = Number(values.subscribers);
const EDGE_COUNTS = values.edges.split(',').map(Number);
const CHANGES = Number(values.changes);
const RELAY_ABOVE = Number(values['relay-above']);
const DOMAIN = 'bench.example';
const redisUrl = process.env.PARLEY_BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const dbUrl = process.env.PARLEY_BENCH_DATABASE_URL ?? process.env.PARLEY_TEST_DATABASE_URL ?? DEFAULT_TEST_DATABASE_URL;
const out = (line: string) => process.stdout.write(`${line}\n`);

async function run(edgeCount: number): Promise<void> {
  const tag = randomBytes(4).toString('hex');
  const schema = `parley_bench_tree_${tag}`;
  const sql = await openPostgres(dbUrl, { schema, max: 2 });
  const store = createStore(sql);
  const location = await RedisLocation.connect(redisUrl, { prefix: `bench-tree-${tag}:`, edgeTtlMs: 600_000 });
  const bus = new LocalBus<WireMessage>((err) => out(`bus handler failed: ${String(err)}`));
  const log = createLogger({ level: 'error' });
  try {
    await migrate(sql);
    const alice = `alice@${DOMAIN}`;
    await store.users.create('alice', DOMAIN, []);
    // Her roster: N contacts subscribed to her presence (RFC 6121 'from').
    await sql.query(
      `INSERT INTO roster_items (owner, contact, subscription) SELECT $1, 's' || g || '@' || $2, 'from' FROM generate_series(1, $3::int) g`,
      [alice, DOMAIN, SUBSCRIBERS],
    );
    const edges = Array.from({ length: edgeCount }, (_, i) => `edge${i}`);
    const received = { deliveries: 0, targets: 0 };
    for (const e of edges) {
      await location.heartbeat(e, 600_000);
      bus.subscribe(edgeSubject(e), (m) => {
        if ('kind' in m && m.kind === 'deliver') {
          received.deliveries++;
          received.targets += m.targets.length;
        }
        return undefined;
      });
    }
    const subscribers: string[] = [];
    const registrations: Array<Promise<unknown>> = [];
    for (let i = 1; i <= SUBSCRIBERS; i++) {
      const bare = `s${i}@${DOMAIN}`;
      subscribers.push(bare);
      const entry: ResourceEntry = { jid: `${bare}/pc`, edge: edges[i % edgeCount]!, conn: `c${i}`, priority: 0, available: true };
      registrations.push(location.register(entry));
      if (registrations.length === 500) await Promise.all(registrations.splice(0));
    }
    await Promise.all(registrations);
    const phone = { jid: `${alice}/phone`, edge: edges[0]!, conn: 'alice-phone' };
    await location.register({ ...phone, priority: 0, available: false });

    const modules = loadModules(defaultModules({ serverVersion: 'bench' }));
    const presence = buildPresenceService({ domain: DOMAIN, bus, location, store, log, modules, relayAbove: RELAY_ABOVE });
    presence.start();
    const say = async (text: string) => {
      const stanza = parseFragment(`<presence xmlns="jabber:client" from="${phone.jid}">${text}</presence>`);
      await bus.request(actorSubject('presence', alice), { kind: 'stanza', key: alice, stanza, origin: phone }, { timeoutMs: 120_000 });
      await bus.flush();
    };
    await say(''); // initial presence: the tree is built here, once
    await say('<status>warm-up</status>');
    const s0 = structuredClone(presence.fanoutStats());
    const r0 = { ...received };
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    for (let k = 0; k < CHANGES; k++) await say(`<status>change ${k}</status>`);
    const wallMs = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    const s1 = presence.fanoutStats();
    const per = (n: number) => (n / CHANGES).toFixed(2);
    const subscriberLookups = s1.lookups.build + s1.lookups.repair + s1.lookups.roster - (s0.lookups.build + s0.lookups.repair + s0.lookups.roster);
    out(
      `tree    subscribers=${SUBSCRIBERS} edges=${edgeCount} relay-above=${RELAY_ABOVE}: per change ` +
        `${per(s1.messages - s0.messages)} bus messages from the publisher, ${per(received.deliveries - r0.deliveries)} edge deliveries, ` +
        `${per(received.targets - r0.targets)} targets, ${per(subscriberLookups)} subscriber lookups, ` +
        `${((cpu.user + cpu.system) / 1000 / CHANGES).toFixed(2)} CPU-ms, ${(wallMs / CHANGES).toFixed(2)} ms wall`,
    );
    presence.stop();

    // Before the tree: every change read every subscriber's location (one resourcesOf of N keys).
    const c1 = process.cpuUsage();
    const t1 = performance.now();
    const rounds = Math.min(CHANGES, 50);
    for (let k = 0; k < rounds; k++) await location.resourcesOf(subscribers);
    const oldWall = (performance.now() - t1) / rounds;
    const oldCpu = process.cpuUsage(c1);
    out(`lookup  subscribers=${SUBSCRIBERS}: the per-change read the tree removed costs ${((oldCpu.user + oldCpu.system) / 1000 / rounds).toFixed(2)} CPU-ms here (plus Redis's own), ${oldWall.toFixed(2)} ms wall`);
  } finally {
    await sql.exec(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => {});
    await store.close();
    await location.close();
    await bus.close();
  }
}

for (const n of EDGE_COUNTS) await run(n);
