// Runs the bus contract against the real NATS server (PARLEY_TEST_NATS_URL); fails, never skips,
// when it is unreachable. Each run uses its own random subject prefix.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { before, describe, test } from 'node:test';
import { type ActorReply, type ActorRequest, decodeWire, encodeWire, type WireMessage } from '@parley/wire';
import type { Bus } from './bus.ts';
import { runBusContract } from './contract.ts';
import { connectNatsBus, splitCredentials } from './nats.ts';

type Msg = { n: number; text?: string };

const url = process.env.PARLEY_TEST_NATS_URL ?? 'nats://127.0.0.1:4222';
const prefix = `parley-test.${randomBytes(6).toString('hex')}`;
const enc = new TextEncoder();
const dec = new TextDecoder();
const codec = {
  encode: (m: Msg) => enc.encode(JSON.stringify(m)),
  decode: (b: Uint8Array) => JSON.parse(dec.decode(b)) as Msg,
};

async function open(extra: { subjectPrefix?: string } = {}): Promise<Bus<Msg>> {
  try {
    return await connectNatsBus<Msg>({ url, codec, name: 'parley-bus-test', subjectPrefix: prefix, ...extra });
  } catch (err) {
    throw new Error(`NATS is required for these tests (PARLEY_TEST_NATS_URL=${url}): ${(err as Error).message}`);
  }
}

before(async () => {
  // One clear failure up front instead of one per test.
  await (await open()).close();
});

runBusContract('nats', () => open());

describe('nats bus', () => {
  test('a handler that throws makes the requester fail fast with handler-failed', async () => {
    const errors: unknown[] = [];
    const bus = await connectNatsBus<Msg>({ url, codec, subjectPrefix: prefix, onHandlerError: (e) => errors.push(e) });
    bus.subscribe('t.throws', () => {
      throw new Error('boom');
    });
    bus.subscribe('t.rejects', async () => {
      throw new Error('async boom');
    });
    const start = Date.now();
    for (const s of ['t.throws', 't.rejects']) {
      await assert.rejects(bus.request(s, { n: 1 }, { timeoutMs: 5000 }), (e: { code?: string }) => e.code === 'handler-failed');
    }
    assert.ok(Date.now() - start < 2000, 'failed by reply, not by timeout');
    assert.equal(errors.length, 2);
    await bus.close();
  });

  test('a handler that returns nothing to a request answers handler-failed', async () => {
    const bus = await open();
    bus.subscribe('t.void', () => undefined);
    await assert.rejects(bus.request('t.void', { n: 1 }), (e: { code?: string }) => e.code === 'handler-failed');
    await bus.close();
  });

  test('a request with nobody listening fails with no-responders, not a timeout', async () => {
    const bus = await open();
    await assert.rejects(bus.request('t.nobody', { n: 1 }, { timeoutMs: 5000 }), (e: { code?: string }) => e.code === 'no-responders');
    await bus.close();
  });

  test('requests and publishes cross connections, with handlers seeing the unprefixed subject', async () => {
    const a = await open();
    const b = await open();
    const seen: string[] = [];
    b.subscribe('t.x.*', (m, subject) => {
      seen.push(subject);
      return { n: m.n + 1 };
    });
    await b.flush();
    assert.equal((await a.request('t.x.one', { n: 1 })).n, 2);
    assert.deepEqual(seen, ['t.x.one']);
    await a.close();
    await b.close();
  });

  test('a queue group spreads requests across connections, each answered once', async () => {
    const client = await open();
    const workers = [await open(), await open()];
    const counts = [0, 0];
    for (const [i, w] of workers.entries()) {
      w.subscribe(
        't.work',
        (m) => {
          counts[i] = (counts[i] ?? 0) + 1;
          return { n: m.n };
        },
        { queue: 'workers' },
      );
    }
    for (const w of workers) await w.flush();
    const replies = await Promise.all(Array.from({ length: 200 }, (_, n) => client.request('t.work', { n })));
    assert.deepEqual(
      replies.map((r) => r.n),
      [...Array(200).keys()],
    );
    assert.equal((counts[0] ?? 0) + (counts[1] ?? 0), 200);
    assert.ok((counts[0] ?? 0) > 0 && (counts[1] ?? 0) > 0, `both workers served: ${counts}`);
    await client.close();
    for (const w of workers) await w.close();
  });

  test('different subject prefixes do not see each other', async () => {
    const mine = await open();
    const other = await open({ subjectPrefix: `${prefix}-other` });
    const got: number[] = [];
    other.subscribe('t.iso', (m) => void got.push(m.n));
    await other.flush();
    mine.publish('t.iso', { n: 1 });
    await mine.flush();
    // Proof of absence: a round trip through the other connection after the publish was processed.
    await other.flush();
    assert.deepEqual(got, []);
    await mine.close();
    await other.close();
  });

  test('an actor request carrying a stanza crosses with the wire codec and is re-parsed', async () => {
    const wire = { encode: encodeWire, decode: decodeWire };
    const edge = await connectNatsBus<WireMessage>({ url, codec: wire, subjectPrefix: prefix });
    const actor = await connectNatsBus<WireMessage>({ url, codec: wire, subjectPrefix: prefix });
    let body: string | undefined;
    actor.subscribe('session.a', (m) => {
      const req = m as ActorRequest;
      if (req.kind === 'stanza') body = req.stanza.getChildText('body') ?? undefined;
      return { ok: true } satisfies ActorReply;
    });
    await actor.flush();
    // As the edge would hold it: a parsed stanza (decodeWire is the simplest way to get one here).
    const xml = "<message xmlns='jabber:client' to='a@x' type='chat'><body>héllo 🌍 &lt;b&gt;</body></message>";
    const req = decodeWire(enc.encode(JSON.stringify({ kind: 'stanza', key: 'a@x', stanza: xml, id: 's1' })));
    const reply = await edge.request('session.a', req);
    assert.deepEqual(reply, { ok: true });
    assert.equal(body, 'héllo 🌍 <b>');
    await edge.close();
    await actor.close();
  });

  test('a closed bus rejects requests with closed', async () => {
    const bus = await open();
    await bus.close();
    await assert.rejects(bus.request('t.any', { n: 1 }), (e: { code?: string }) => e.code === 'closed');
  });

  test('an unreachable server fails with a clear message', async () => {
    await assert.rejects(
      connectNatsBus<Msg>({ url: 'nats://127.0.0.1:1', codec }),
      (e: Error) => e.message.startsWith('cannot connect to NATS at nats://127.0.0.1:1'),
    );
  });
});

/** A nats-server of this test's own on a free port (the shared one is never restarted). */
async function privateNats(): Promise<{ url: string; start(): Promise<void>; kill(): Promise<void> }> {
  const port = await new Promise<number>((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const a = srv.address();
      srv.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
  let child: ReturnType<typeof spawn> | null = null;
  const server = {
    url: `nats://127.0.0.1:${port}`,
    async start() {
      const c = spawn('nats-server', ['-a', '127.0.0.1', '-p', String(port)], { stdio: ['ignore', 'ignore', 'pipe'] });
      child = c;
      await new Promise<void>((resolve, reject) => {
        c.once('error', reject);
        c.stderr!.on('data', (b: Buffer) => {
          if (b.toString().includes('Server is ready')) resolve();
        });
      });
    },
    async kill() {
      const c = child;
      if (!c) return;
      child = null;
      await new Promise((r) => {
        c.once('exit', r);
        c.kill('SIGKILL');
      });
    },
  };
  await server.start();
  return server;
}

test('after the server restarts, the bus says so and its subscriptions work again', { timeout: 30_000 }, async () => {
  const nats = await privateNats();
  const changes: boolean[] = [];
  const a = await connectNatsBus<Msg>({ url: nats.url, codec, onConnectionChange: (up) => changes.push(up) });
  const b = await connectNatsBus<Msg>({ url: nats.url, codec });
  try {
    const got: number[] = [];
    a.subscribe('t.after', (m) => void got.push(m.n));
    const reconnected = Promise.all([a, b].map((bus) => new Promise<void>((resolve) => bus.onReconnect(resolve))));
    await nats.kill();
    await nats.start();
    await reconnected;
    assert.deepEqual(changes, [false, true]);
    // Listeners run once the server has the subscriptions again: one publish now arrives.
    b.publish('t.after', { n: 1 });
    await b.flush();
    for (let i = 0; i < 50 && got.length === 0; i++) await a.flush();
    assert.ok(got.length > 0, 'a subscription made before the restart gets messages after it');
  } finally {
    await a.close();
    await b.close();
    await nats.kill();
  }
});

test('credentials in the NATS URLs become connection options and leave the server list', () => {
  assert.deepEqual(splitCredentials('tls://parley:p%40ss@n1:4222, tls://n2:4222'), { servers: ['tls://n1:4222', 'tls://n2:4222'], user: 'parley', pass: 'p@ss' });
  assert.deepEqual(splitCredentials('nats://s3cr3t-token@n1:4222'), { servers: ['nats://n1:4222'], token: 's3cr3t-token' });
  assert.deepEqual(splitCredentials('nats://n1:4222'), { servers: ['nats://n1:4222'] });
});
