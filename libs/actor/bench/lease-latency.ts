// Shard lease latency: the Redis LeaseStore (Lua compare-and-set) against the same protocol
// on NATS JetStream KV (revision compare-and-set). Numbers go to docs/decisions/0006-shard-leases.md.
// Usage: npx tsx libs/actor/bench/lease-latency.ts [redis-url] [nats-url]
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Kvm } from '@nats-io/kv';
import { connect } from '@nats-io/transport-node';
import { Redis } from 'ioredis';
import { RedisLeaseStore } from '../src/redis-leases.ts';

const redisUrl = process.argv[2] ?? 'redis://127.0.0.1:6379';
const natsUrl = process.argv[3] ?? 'nats://127.0.0.1:4222';
const N = 2000;
const ROUNDS = 200;
const SHARDS = 64;
const TTL = 5000;

interface LeaseOps {
  acquire(shard: number, instance: string): Promise<number | null>;
  renew(shard: number, instance: string, epoch: number): Promise<boolean>;
  release(shard: number, instance: string, epoch: number): Promise<boolean>;
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? Number.NaN;
}

async function timeEach(n: number, op: (i: number) => Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await op(i);
    out.push((performance.now() - t) * 1000);
  }
  return out;
}

function line(name: string, us: number[], unit = 'µs'): void {
  const mean = us.reduce((a, b) => a + b, 0) / us.length;
  console.log(
    `${name.padEnd(44)} p50 ${pct(us, 50).toFixed(0).padStart(6)} ${unit}  p99 ${pct(us, 99).toFixed(0).padStart(6)} ${unit}  mean ${mean.toFixed(0)} ${unit}`,
  );
}

async function run(name: string, ops: LeaseOps): Promise<void> {
  // Warm-up (script load, connection).
  for (let s = 0; s < SHARDS; s++) {
    const e = await ops.acquire(s, 'warm');
    if (e !== null) await ops.release(s, 'warm', e);
  }
  const epochs: number[] = [];
  const acquireUs: number[] = [];
  for (let i = 0; i < N; i++) {
    const shard = i % SHARDS;
    const held = epochs[shard];
    if (held !== undefined) await ops.release(shard, 'a', held);
    const t = performance.now();
    const e = await ops.acquire(shard, 'a');
    acquireUs.push((performance.now() - t) * 1000);
    if (e === null) throw new Error('acquire failed');
    epochs[shard] = e;
  }
  line(`${name}: acquire (released shard, 1 in flight)`, acquireUs);
  line(`${name}: acquire refused (live lease of another)`, await timeEach(N, (i) => ops.acquire(i % SHARDS, 'b')));
  line(`${name}: renew (1 in flight)`, await timeEach(N, async (i) => {
    const shard = i % SHARDS;
    if (!(await ops.renew(shard, 'a', epochs[shard] ?? 0))) throw new Error('renew failed');
  }));
  line(
    `${name}: renew round of 64 shards (one tick)`,
    await timeEach(ROUNDS, () => Promise.all(Array.from({ length: SHARDS }, (_, s) => ops.renew(s, 'a', epochs[s] ?? 0)))),
  );
}

// Redis: the production store.
const prefix = `parley-bench:${randomBytes(4).toString('hex')}:`;
const store = await RedisLeaseStore.connect(redisUrl, { prefix });
await run('redis (Lua)', {
  acquire: (s, i) => store.acquire('session', s, i, TTL),
  renew: (s, i, e) => store.renew('session', s, i, e, TTL),
  release: (s, i, e) => store.release('session', s, i, e),
});
await store.close();
const cleaner = new Redis(redisUrl);
const keys = await cleaner.keys(`${prefix}*`);
if (keys.length) await cleaner.del(...keys);
await cleaner.quit();

// NATS KV: the same lease protocol on revision CAS. Expiry has to be judged against the clients'
// wall clocks (expiresAt in the value), since nats-server 2.9 has no per-key TTL.
const nc = await connect({ servers: natsUrl, noAsyncTraces: true });
const kv = await new Kvm(nc).create(`leasebench_${randomBytes(4).toString('hex')}`, { history: 1 });
const revs = new Map<number, number>();
const enc = (o: object) => JSON.stringify(o);
await run('nats kv (revision CAS)', {
  async acquire(shard, instance) {
    const key = `session.${shard}`;
    const cur = await kv.get(key);
    const now = Date.now();
    let epoch = 1;
    let rev: number;
    if (!cur || cur.length === 0) {
      rev = await kv.create(key, enc({ instance, epoch, expiresAt: now + TTL }));
    } else {
      const v = cur.json<{ instance: string; epoch: number; expiresAt: number }>();
      if (v.instance !== '' && v.instance !== instance && v.expiresAt > now) return null;
      epoch = v.epoch + 1;
      try {
        rev = await kv.update(key, enc({ instance, epoch, expiresAt: now + TTL }), cur.revision);
      } catch {
        return null;
      }
    }
    revs.set(shard, rev);
    return epoch;
  },
  async renew(shard, instance, epoch) {
    try {
      const rev = await kv.update(`session.${shard}`, enc({ instance, epoch, expiresAt: Date.now() + TTL }), revs.get(shard) ?? 0);
      revs.set(shard, rev);
      return true;
    } catch {
      return false;
    }
  },
  async release(shard, _instance, epoch) {
    try {
      const rev = await kv.update(`session.${shard}`, enc({ instance: '', epoch, expiresAt: 0 }), revs.get(shard) ?? 0);
      revs.set(shard, rev);
      return true;
    } catch {
      return false;
    }
  },
});
await kv.destroy();
await nc.close();
