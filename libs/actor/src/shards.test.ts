import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SHARD_COUNT } from '@parley/subjects';
import { MemoryLeaseStore, type LeaseStore } from './leases.ts';
import { assignShards, ShardManager } from './shards.ts';
import { openTestRedisStore } from './test-redis.ts';

const TTL = 600;
const RENEW = 150;
const MARGIN = 100;

/** Wraps a store so one instance's calls can be made to hang, as in a stalled process or partition. */
class PausableStore implements LeaseStore {
  private gate: Promise<void> | undefined;
  private open: (() => void) | undefined;
  constructor(private readonly inner: LeaseStore) {}
  pause(): void {
    this.gate ??= new Promise((r) => (this.open = r));
  }
  resume(): void {
    this.open?.();
    this.gate = undefined;
  }
  private async pass<T>(f: () => Promise<T>): Promise<T> {
    if (this.gate) await this.gate;
    return f();
  }
  acquire(...a: Parameters<LeaseStore['acquire']>) {
    return this.pass(() => this.inner.acquire(...a));
  }
  renew(...a: Parameters<LeaseStore['renew']>) {
    return this.pass(() => this.inner.renew(...a));
  }
  release(...a: Parameters<LeaseStore['release']>) {
    return this.pass(() => this.inner.release(...a));
  }
  owners(...a: Parameters<LeaseStore['owners']>) {
    return this.pass(() => this.inner.owners(...a));
  }
  join(...a: Parameters<LeaseStore['join']>) {
    return this.pass(() => this.inner.join(...a));
  }
  leave(...a: Parameters<LeaseStore['leave']>) {
    return this.pass(() => this.inner.leave(...a));
  }
  members(...a: Parameters<LeaseStore['members']>) {
    return this.pass(() => this.inner.members(...a));
  }
  round(...a: Parameters<LeaseStore['round']>) {
    return this.pass(() => this.inner.round(...a));
  }
  async close(): Promise<void> {}
}

interface LogEntry {
  kind: 'acquire' | 'lose';
  shard: number;
  instance: string;
  epoch?: number;
  reason?: string;
}

/**
 * Several managers over one store, with a watcher that checks on every event and every few ms
 * that no shard is trusted by two instances at once, and that each takeover follows the previous
 * owner's onLose with a higher epoch.
 */
class Cluster {
  readonly managers = new Map<string, ShardManager>();
  readonly stores = new Map<string, PausableStore>();
  readonly log: LogEntry[] = [];
  readonly violations: string[] = [];
  private readonly holder = new Map<number, string>();
  private readonly lastEpoch = new Map<number, number>();
  private readonly sampler: NodeJS.Timeout;

  constructor(private readonly store: LeaseStore) {
    this.sampler = setInterval(() => this.checkExclusive(), 3);
  }

  async add(id: string): Promise<ShardManager> {
    const store = new PausableStore(this.store);
    const m = new ShardManager({
      service: 'session',
      instanceId: id,
      store,
      ttlMs: TTL,
      renewEveryMs: RENEW,
      safetyMarginMs: MARGIN,
      onError: (err) => this.violations.push(`${id} error: ${String(err)}`),
    });
    m.onAcquire((shard, epoch) => {
      this.log.push({ kind: 'acquire', shard, instance: id, epoch });
      const prev = this.holder.get(shard);
      if (prev !== undefined) this.violations.push(`${id} acquired ${shard} before ${prev} lost it`);
      if (epoch <= (this.lastEpoch.get(shard) ?? 0)) this.violations.push(`epoch of ${shard} did not grow: ${epoch}`);
      this.holder.set(shard, id);
      this.lastEpoch.set(shard, epoch);
      this.checkExclusive();
    });
    m.onLose((shard, reason) => {
      this.log.push({ kind: 'lose', shard, instance: id, reason });
      if (this.holder.get(shard) !== id) this.violations.push(`${id} lost ${shard} it did not hold`);
      this.holder.delete(shard);
    });
    this.managers.set(id, m);
    this.stores.set(id, store);
    await m.start();
    return m;
  }

  checkExclusive(): void {
    for (let s = 0; s < SHARD_COUNT; s++) {
      const owners = [...this.managers.values()].filter((m) => m.owns(s)).map((m) => m.instanceId);
      if (owners.length > 1) this.violations.push(`shard ${s} owned by ${owners.join(',')}`);
    }
  }

  counts(): Map<string, number> {
    return new Map([...this.managers].map(([id, m]) => [id, m.owned().size]));
  }

  /** Every shard owned exactly once, by the instance the assignment names. */
  settled(ids: string[]): boolean {
    const desired = assignShards(ids);
    return desired.every((id, s) => this.managers.get(id)?.owns(s) === true) && this.total() === SHARD_COUNT;
  }

  total(): number {
    return [...this.counts().values()].reduce((a, b) => a + b, 0);
  }

  epochs(): Map<number, number> {
    const out = new Map<number, number>();
    for (const m of this.managers.values()) for (const [s, e] of m.owned()) out.set(s, e);
    return out;
  }

  async close(): Promise<void> {
    clearInterval(this.sampler);
    for (const s of this.stores.values()) s.resume();
    await Promise.all([...this.managers.values()].map((m) => m.stop()));
    await this.store.close();
  }
}

async function waitFor(what: string, cond: () => boolean, ms = 8000): Promise<void> {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('the assignment gives every shard one owner and about shards/N to each member', () => {
  const two = assignShards(['b', 'a']);
  assert.equal(two.length, SHARD_COUNT);
  assert.equal(two.filter((x) => x === 'a').length, 32);
  const three = assignShards(['a', 'b', 'c']);
  for (const id of ['a', 'b', 'c']) assert.ok(three.filter((x) => x === id).length >= 20);
  assert.deepEqual(assignShards(['c', 'a', 'b']), three, 'independent of member order');
  const moved = two.filter((x, i) => three[i] !== x);
  assert.ok(moved.length <= 26, `a join moves about a third, not ${moved.length}`);
});

for (const [name, open] of [
  ['in-memory', async () => new MemoryLeaseStore()],
  ['redis', () => openTestRedisStore()],
] as const) {
  describe(`shard managers over the ${name} lease store`, () => {
    test('two instances own all 64 shards exactly once, half each', async () => {
      const c = new Cluster(await open());
      try {
        await c.add('node-a');
        await c.add('node-b');
        await waitFor('settled', () => c.settled(['node-a', 'node-b']));
        assert.deepEqual([...c.counts().values()], [32, 32]);
        assert.deepEqual(c.violations, []);
      } finally {
        await c.close();
      }
    });

    test('a third instance takes over about a third and no shard is ever owned twice', async () => {
      const c = new Cluster(await open());
      try {
        await c.add('node-a');
        await c.add('node-b');
        await waitFor('two settled', () => c.settled(['node-a', 'node-b']));
        const before = c.epochs();
        await c.add('node-c');
        await waitFor('three settled', () => c.settled(['node-a', 'node-b', 'node-c']));
        const counts = c.counts();
        for (const n of counts.values()) assert.ok(n >= 20 && n <= 22, `balanced: ${[...counts.values()]}`);
        const after = c.epochs();
        const moved = [...c.managers.get('node-c')!.owned().keys()];
        for (const s of moved) assert.ok(after.get(s)! > before.get(s)!, `epoch of moved shard ${s} grew`);
        const handedOver = c.log.filter((e) => e.kind === 'lose' && e.reason === 'handed-over').length;
        assert.ok(handedOver >= moved.length, 'the old owners handed the shards over');
        assert.deepEqual(c.violations, []);
      } finally {
        await c.close();
      }
    });

    test('an instance whose renewals stop loses its shards before the others take them after the TTL', async () => {
      const c = new Cluster(await open());
      try {
        await c.add('node-a');
        await c.add('node-b');
        const stalled = await c.add('node-c');
        await waitFor('three settled', () => c.settled(['node-a', 'node-b', 'node-c']));
        const held = new Map(stalled.owned());
        const pausedAt = Date.now();
        c.stores.get('node-c')!.pause();
        await waitFor('the others own everything', () => c.settled(['node-a', 'node-b']));
        assert.ok(Date.now() - pausedAt >= TTL - MARGIN - 2 * RENEW, 'takeover waited for the lease to run out');
        assert.equal(stalled.owned().size, 0);
        const lost = c.log.filter((e) => e.kind === 'lose' && e.instance === 'node-c').map((e) => e.reason);
        assert.equal(lost.length, held.size);
        assert.ok(lost.every((r) => r === 'expired'));
        const after = c.epochs();
        for (const [s, e] of held) assert.ok(after.get(s)! > e, `shard ${s} taken over with a higher epoch`);
        assert.deepEqual(c.violations, []);
      } finally {
        await c.close();
      }
    });

    test('graceful stop hands every shard over at once, without waiting for expiry', async () => {
      const c = new Cluster(await open());
      try {
        const a = await c.add('node-a');
        const b = await c.add('node-b');
        await waitFor('two settled', () => c.settled(['node-a', 'node-b']));
        await b.stop();
        assert.equal(b.owned().size, 0);
        // One round, no clock passing: the released leases and the departed member are gone already.
        await a.tick();
        assert.equal(a.owned().size, SHARD_COUNT);
        assert.ok(c.log.filter((e) => e.instance === 'node-b' && e.kind === 'lose').every((e) => e.reason === 'stopped'));
        assert.deepEqual(c.violations, []);
      } finally {
        await c.close();
      }
    });

    test('a fence turns invalid the moment its shard is handed over', async () => {
      const c = new Cluster(await open());
      try {
        const a = await c.add('node-a');
        assert.equal(a.owned().size, SHARD_COUNT);
        const fences = [...a.owned().keys()].map((s) => a.fence(s)!);
        assert.ok(fences.every((f) => f.valid()));
        await c.add('node-b');
        await a.tick();
        const stillMine = new Set(a.owned().keys());
        assert.equal(stillMine.size, 32);
        for (const f of fences) assert.equal(f.valid(), stillMine.has(f.shard));
        assert.deepEqual(c.violations, []);
      } finally {
        await c.close();
      }
    });
  });
}
