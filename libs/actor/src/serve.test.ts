import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Bus, LocalBus } from '@parley/bus';
import { actorSubject, allShards, shardOf } from '@parley/subjects';
import type { ActorRequest, WireMessage } from '@parley/wire';
import { ActorHost, MOVED_CONDITION, RoutingRecoveringError, ShardMovedError } from './host.ts';
import { MemoryLeaseStore } from './leases.ts';
import { RecentIds } from './recent-ids.ts';
import { HandOffError, requestWithRetry } from './retry.ts';
import { actorsSettled, serveOwnedShards, serveShards } from './serve.ts';
import { assignShards, ShardManager } from './shards.ts';

const timing = { ttlMs: 600, renewEveryMs: 150, safetyMarginMs: 100 };

function stanza(key: string, id: string): ActorRequest {
  // The handlers below never look at the element itself.
  return { kind: 'stanza', key, id, stanza: null as never, origin: { edge: 'e1', conn: 'c1', jid: `${key}/r` } };
}

/** An actor that records committed stanza ids, checking its fence right before the commit. */
function recordingHost(commits: string[], before: (id: string) => Promise<void> = async () => {}) {
  return new ActorHost<null, ActorRequest, void>({
    activate: async () => null,
    handle: async (_s, msg, _key, ctx) => {
      const id = msg.kind === 'stanza' ? (msg.id ?? '') : msg.kind;
      await before(id);
      if (ctx.fence && !ctx.fence.valid()) throw new ShardMovedError(ctx.fence.shard);
      commits.push(id);
    },
  });
}

async function waitFor(what: string, cond: () => boolean, ms = 5000): Promise<void> {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

test('a retried stanza id is acknowledged without being processed twice', async () => {
  const bus = new LocalBus<WireMessage>();
  const manager = new ShardManager({ service: 'session', instanceId: 'a', store: new MemoryLeaseStore(), ...timing });
  await manager.start();
  const commits: string[] = [];
  const host = recordingHost(commits);
  const server = serveOwnedShards(bus, 'session', host, manager);
  const subject = actorSubject('session', 'alice@example.com');
  assert.deepEqual(await requestWithRetry(bus, subject, stanza('alice@example.com', 's1')), { ok: true });
  assert.deepEqual(await requestWithRetry(bus, subject, stanza('alice@example.com', 's1')), { ok: true });
  assert.deepEqual(await requestWithRetry(bus, subject, stanza('alice@example.com', 's2')), { ok: true });
  assert.deepEqual(commits, ['s1', 's2']);
  server.stop();
  await manager.stop();
  host.stop();
});

test('on hand-over queued and uncommitted messages are answered moved and the new owner handles each once', async () => {
  const bus = new LocalBus<WireMessage>();
  const store = new MemoryLeaseStore();
  const key = Array.from({ length: 200 }, (_, i) => `user${i}@example.com`).find(
    (k) => assignShards(['a', 'b'])[shardOf(k)] === 'b',
  )!;
  const subject = actorSubject('session', key);
  let open!: () => void;
  const gate = new Promise<void>((r) => (open = r));
  const committedA: string[] = [];
  const committedB: string[] = [];
  const hostA = recordingHost(committedA, (id) => (id === 'm1' ? gate : Promise.resolve()));
  const hostB = recordingHost(committedB);
  const a = new ShardManager({ service: 'session', instanceId: 'a', store, ...timing });
  const b = new ShardManager({ service: 'session', instanceId: 'b', store, ...timing });
  await a.start();
  const serverA = serveOwnedShards(bus, 'session', hostA, a);
  const serverB = serveOwnedShards(bus, 'session', hostB, b);
  const retry = { attempts: 12, backoffMs: 20, maxBackoffMs: 200 };
  try {
    const replies = ['m1', 'm2', 'm3'].map((id) => requestWithRetry(bus, subject, stanza(key, id), retry));
    await waitFor('m1 running and m2, m3 queued at a', () => hostA.depth() === 3);

    await b.start();
    await a.tick(); // a sees b and hands the shard over
    assert.equal(a.owns(shardOf(key)), false);
    await waitFor('the queued messages were refused at a', () => hostA.depth() === 1);
    open(); // m1 resumes at a, finds its fence invalid, and is refused too

    assert.deepEqual(await Promise.all(replies), [{ ok: true }, { ok: true }, { ok: true }]);
    assert.equal(b.owns(shardOf(key)), true);
    assert.deepEqual(committedA, []);
    assert.deepEqual([...committedB].sort(), ['m1', 'm2', 'm3']);
    assert.deepEqual(serverA.serving().includes(shardOf(key)), false);

    assert.deepEqual(await requestWithRetry(bus, subject, stanza(key, 'm2'), retry), { ok: true });
    assert.equal(committedB.length, 3, 'a retry of an acknowledged id is not processed again');
  } finally {
    serverA.stop();
    serverB.stop();
    await Promise.all([a.stop(), b.stop()]);
    hostA.stop();
    hostB.stop();
  }
});

test('a shard nobody owns makes the hand-off give up with resource-constraint after its attempts', async () => {
  const bus = new LocalBus<WireMessage>();
  let calls = 0;
  const counting: Bus<WireMessage> = Object.create(bus);
  counting.request = (...a) => {
    calls++;
    return bus.request(...a);
  };
  await assert.rejects(
    requestWithRetry(counting, actorSubject('session', 'x@example.com'), stanza('x@example.com', 'z'), {
      attempts: 3,
      backoffMs: 1,
    }),
    (e) => e instanceof HandOffError && e.condition === 'resource-constraint' && e.last === 'no-responders',
  );
  assert.equal(calls, 3);
});

test('a moved reply is retried but an overload reply is returned as is', async () => {
  const bus = new LocalBus<WireMessage>();
  const answers = [
    { ok: false, condition: MOVED_CONDITION },
    { ok: false, condition: 'resource-constraint', text: 'busy' },
  ];
  let n = 0;
  bus.subscribe('parley.actor.session.1', () => answers[n++]);
  const reply = await requestWithRetry(bus, 'parley.actor.session.1', stanza('k', 'i'), { backoffMs: 1 });
  assert.deepEqual(reply, { ok: false, condition: 'resource-constraint', text: 'busy' });
  assert.equal(n, 2);
});

test('a handler failing for overload (an error marked resource-constraint) is answered resource-constraint, another failure internal-server-error', async () => {
  const bus = new LocalBus<WireMessage>();
  const host = new ActorHost<null, ActorRequest, void>({
    activate: async () => null,
    handle: async (_s, msg) => {
      if (msg.kind === 'stanza' && msg.id === 'busy') throw Object.assign(new Error('timeout exceeded when trying to connect'), { condition: 'resource-constraint' });
      throw new Error('a bug');
    },
  });
  const subs = serveShards(bus, 'session', host, allShards());
  try {
    const subject = actorSubject('session', 'k');
    const busy = (await bus.request(subject, stanza('k', 'busy'), { timeoutMs: 2000 })) as { ok: boolean; condition?: string };
    assert.deepEqual([busy.ok, busy.condition], [false, 'resource-constraint']);
    const bug = (await bus.request(subject, stanza('k', 'bug'), { timeoutMs: 2000 })) as { ok: boolean; condition?: string };
    assert.deepEqual([bug.ok, bug.condition], [false, 'internal-server-error']);
  } finally {
    for (const s of subs) s.unsubscribe();
  }
});

test('while routing recovers the sender holds the stanza and retries; it is processed once routing is back', async () => {
  const bus = new LocalBus<WireMessage>();
  const manager = new ShardManager({ service: 'session', instanceId: 'a', store: new MemoryLeaseStore(), ...timing });
  await manager.start();
  const commits: string[] = [];
  let recovering = 3;
  const errors: unknown[] = [];
  const host = new ActorHost<null, ActorRequest, void>(
    {
      activate: async () => null,
      handle: async (_s, msg) => {
        if (recovering-- > 0) throw new RoutingRecoveringError();
        commits.push(msg.kind === 'stanza' ? (msg.id ?? '') : msg.kind);
      },
    },
    { onError: (err) => errors.push(err) },
  );
  const server = serveOwnedShards(bus, 'session', host, manager);
  const subject = actorSubject('session', 'alice@example.com');
  assert.deepEqual(await requestWithRetry(bus, subject, stanza('alice@example.com', 'held'), { backoffMs: 1 }), { ok: true });
  assert.deepEqual(commits, ['held']);
  assert.deepEqual(errors, [], 'waiting for routing is not an actor failure');
  // Past the sender's budget the stanza is refused with resource-constraint, never processed later.
  recovering = 100;
  await assert.rejects(
    requestWithRetry(bus, subject, stanza('alice@example.com', 'late'), { attempts: 3, backoffMs: 1 }),
    (e) => e instanceof HandOffError && e.condition === 'resource-constraint' && e.last === 'recovering',
  );
  assert.deepEqual(commits, ['held']);
  server.stop();
  await manager.stop();
  host.stop();
});

test('recent ids forget failures, the oldest beyond the bound, and everything past the window', async () => {
  let now = 0;
  const ids = new RecentIds<string>({ max: 2, ttlMs: 100, now: () => now });
  let runs = 0;
  const run = async () => `r${++runs}`;
  assert.equal(await ids.once('a', run), 'r1');
  assert.equal(await ids.once('a', run), 'r1');
  await assert.rejects(
    ids.once('f', async () => {
      throw new Error('x');
    }),
  );
  assert.equal(ids.has('f'), false);
  assert.equal(await ids.once('no', run, (v) => v === 'never'), 'r2');
  await Promise.resolve();
  assert.equal(ids.has('no'), false);
  await ids.once('b', run);
  await ids.once('c', run);
  assert.equal(ids.has('a'), false, 'bounded: oldest forgotten');
  assert.equal(ids.size, 2);
  now = 150;
  assert.equal(ids.size, 0, 'window passed');
});

test('shutdown waits until the actors have finished what they accepted, including work one hands another', async () => {
  const done: string[] = [];
  const slow = (ms: number) => new Promise((r) => setTimeout(r, ms));
  let second: ActorHost<null, ActorRequest, void> | null = null;
  const first = new ActorHost<null, ActorRequest, void>({
    activate: async () => null,
    handle: async (_s, msg) => {
      await slow(80);
      done.push(`first ${msg.kind === 'stanza' ? msg.id : ''}`);
      // Its last step gives the other actor work, as a presence actor tells a session actor.
      void second?.deliver('b', stanza('b', 'handed'));
    },
  });
  second = new ActorHost<null, ActorRequest, void>({
    activate: async () => null,
    handle: async (_s, msg) => {
      await slow(80);
      done.push(`second ${msg.kind === 'stanza' ? msg.id : ''}`);
    },
  });
  const runtimes = [first, second].map((h) => ({ start() {}, stop() {}, mailboxDepth: () => h.depth() }));
  void first.deliver('a', stanza('a', 'accepted'));
  assert.equal(await actorsSettled(runtimes, 5000, 20), true);
  assert.deepEqual(done, ['first accepted', 'second handed']);
  void first.deliver('a', stanza('a', 'endless'));
  assert.equal(await actorsSettled(runtimes, 30, 10), false, 'a bounded wait gives up');
  await actorsSettled(runtimes, 5000, 20);
});
