// A busy actor is backpressure, not a failure (docs/decisions/0031): stanzas waiting in its
// mailbox are answered 'queued' and their senders keep waiting past their retry budget, each
// stanza handled once; only the actor's own bound on waiting refuses one.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Bus, LocalBus } from '@parley/bus';
import { actorSubject, allShards } from '@parley/subjects';
import type { ActorReply, ActorRequest, WireMessage } from '@parley/wire';
import { ActorHost, type ActorHostOptions } from './host.ts';
import { MemoryLeaseStore } from './leases.ts';
import { requestWithRetry } from './retry.ts';
import { QUEUED_CONDITION, serveOwnedShards, serveShards } from './serve.ts';
import { ShardManager } from './shards.ts';

const KEY = 'room@conference.example.com';
const FAST = { firstMs: 20, holdMs: 60 };
/** A budget the old hand-off spent in well under a second: 2 attempts of 100 ms. */
const SHORT_BUDGET = { attempts: 2, backoffMs: 1, timeoutMs: 100, queuedTimeoutMs: 300 };

function stanza(id: string, from = 'alice@example.com'): ActorRequest {
  return { kind: 'stanza', key: KEY, id, stanza: null as never, origin: { edge: 'e1', conn: `c-${from}`, jid: `${from}/r` } };
}

/** An actor held busy by its first stanza until `open()`; records what it handled. */
function busyActor(opts: ActorHostOptions = {}) {
  const handled: string[] = [];
  let open!: () => void;
  const gate = new Promise<void>((r) => (open = r));
  const host = new ActorHost<null, ActorRequest, void>(
    {
      activate: async () => null,
      handle: async (_s, msg) => {
        const id = msg.kind === 'stanza' ? (msg.id ?? '') : msg.kind;
        if (handled.length === 0) await gate;
        handled.push(id);
      },
    },
    opts,
  );
  return { host, handled, open };
}

/** The bus as the sender sees it, counting the 'queued' replies. */
function countingQueued(bus: Bus<WireMessage>) {
  const seen = { queued: 0 };
  const counting: Bus<WireMessage> = Object.create(bus);
  counting.request = async (...a) => {
    const reply = (await bus.request(...a)) as ActorReply;
    if (!reply.ok && reply.condition === QUEUED_CONDITION) seen.queued++;
    return reply;
  };
  return { counting, seen };
}

async function until(what: string, cond: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

for (const mode of ['embedded', 'cluster'] as const) {
  test(`${mode}: a burst behind a busy actor waits past the sender's retry budget and every stanza is handled once`, async () => {
    const bus = new LocalBus<WireMessage>();
    const { host, handled, open } = busyActor();
    const manager = new ShardManager({ service: 'chatroom', instanceId: 'a', store: new MemoryLeaseStore(), ttlMs: 600, renewEveryMs: 150, safetyMarginMs: 100 });
    let stop: () => void;
    if (mode === 'cluster') {
      await manager.start();
      const server = serveOwnedShards(bus, 'chatroom', host, manager, { queued: FAST });
      stop = () => server.stop();
    } else {
      const subs = serveShards(bus, 'chatroom', host, allShards(), { queued: FAST });
      stop = () => {
        for (const s of subs) s.unsubscribe();
      };
    }
    const { counting, seen } = countingQueued(bus);
    try {
      const ids = Array.from({ length: 20 }, (_, i) => `join${i}`);
      const replies = ids.map((id, i) => requestWithRetry(counting, actorSubject('chatroom', KEY), stanza(id, `user${i}@example.com`), SHORT_BUDGET));
      // Held far beyond 2 attempts of 100 ms: every sender has been told 'queued' several times.
      await until('every sender heard queued three times', () => seen.queued >= ids.length * 3);
      open();
      assert.deepEqual(await Promise.all(replies), ids.map(() => ({ ok: true })));
      assert.deepEqual([...handled].sort(), [...ids].sort(), 'each stanza handled once, none refused');
    } finally {
      stop();
      await manager.stop();
      host.stop();
    }
  });
}

test('a stanza that waited longer than the actor allows is refused with resource-constraint, and not handled', async () => {
  const bus = new LocalBus<WireMessage>();
  const { host, handled, open } = busyActor({ maxWaitMs: 100 });
  const subs = serveShards(bus, 'chatroom', host, allShards(), { queued: FAST });
  const { counting, seen } = countingQueued(bus);
  try {
    const first = requestWithRetry(counting, actorSubject('chatroom', KEY), stanza('first'), SHORT_BUDGET);
    const late = requestWithRetry(counting, actorSubject('chatroom', KEY), stanza('late', 'bob@example.com'), SHORT_BUDGET);
    await until('both were told queued after the bound passed', () => seen.queued >= 6);
    open();
    assert.deepEqual(await first, { ok: true });
    const refused = await late;
    assert.equal(refused.ok, false);
    assert.equal(!refused.ok && refused.condition, 'resource-constraint');
    assert.match((!refused.ok && refused.text) || '', /waited too long/);
    assert.deepEqual(handled, ['first']);
  } finally {
    for (const s of subs) s.unsubscribe();
    host.stop();
  }
});

test('a full mailbox is refused at once with resource-constraint and says so', async () => {
  const bus = new LocalBus<WireMessage>();
  const { host, handled, open } = busyActor({ maxMailbox: 1 });
  const subs = serveShards(bus, 'chatroom', host, allShards(), { queued: FAST });
  try {
    const subject = actorSubject('chatroom', KEY);
    const kept = [requestWithRetry(bus, subject, stanza('a', 'a@example.com'), SHORT_BUDGET), requestWithRetry(bus, subject, stanza('b', 'b@example.com'), SHORT_BUDGET)];
    await until('one running, one waiting', () => host.depth() === 2);
    const refused = await requestWithRetry(bus, subject, stanza('c', 'c@example.com'), SHORT_BUDGET);
    assert.equal(!refused.ok && refused.condition, 'resource-constraint');
    assert.match((!refused.ok && refused.text) || '', /too many stanzas are waiting/);
    open();
    assert.deepEqual(await Promise.all(kept), [{ ok: true }, { ok: true }]);
    assert.deepEqual(handled, ['a', 'b']);
  } finally {
    for (const s of subs) s.unsubscribe();
    host.stop();
  }
});

test('an actor process too starved to say queued in time still gets to: the sender waits longer after each timeout', async () => {
  const bus = new LocalBus<WireMessage>();
  const { host, handled, open } = busyActor();
  const subs = serveShards(bus, 'chatroom', host, allShards(), { queued: FAST });
  // Every reply reaches the sender 150 ms late, longer than its first timeout of 100 ms.
  const seen = { queued: 0, timeouts: 0 };
  const late: Bus<WireMessage> = Object.create(bus);
  late.request = (subject, msg, opts) =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        seen.timeouts++;
        reject(Object.assign(new Error('timed out'), { code: 'timeout' }));
      }, opts?.timeoutMs);
      void bus.request(subject, msg, { timeoutMs: 60_000 }).then((reply) =>
        setTimeout(() => {
          clearTimeout(timer);
          if (!(reply as ActorReply).ok && (reply as { condition: string }).condition === QUEUED_CONDITION) seen.queued++;
          resolve(reply);
        }, 150),
      );
    });
  try {
    const reply = requestWithRetry(late, actorSubject('chatroom', KEY), stanza('starved'), { ...SHORT_BUDGET, attempts: 4 });
    await until('queued got through twice', () => seen.queued >= 2);
    open();
    assert.deepEqual(await reply, { ok: true });
    assert.ok(seen.timeouts >= 1, 'the first attempts timed out');
    assert.deepEqual(handled, ['starved']);
  } finally {
    for (const s of subs) s.unsubscribe();
    host.stop();
  }
});
