// One contract suite for every Bus implementation (in-process now, NATS in cluster mode).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Bus } from './bus.ts';

type Msg = { n: number; text?: string };

export function runBusContract(name: string, open: () => Promise<Bus<Msg>>): void {
  describe(`bus contract: ${name}`, () => {
    test('a published message reaches every plain subscriber, in order', async () => {
      const bus = await open();
      const a: number[] = [];
      const b: number[] = [];
      bus.subscribe('t.order', (m) => void a.push(m.n));
      bus.subscribe('t.order', (m) => void b.push(m.n));
      for (let i = 0; i < 100; i++) bus.publish('t.order', { n: i });
      await bus.flush();
      await waitFor(() => a.length === 100 && b.length === 100);
      assert.deepEqual(a, [...Array(100).keys()]);
      assert.deepEqual(b, a);
      await bus.close();
    });

    test('a queue group shares messages so each is handled once', async () => {
      const bus = await open();
      const seen: number[] = [];
      bus.subscribe('t.q', (m) => void seen.push(m.n), { queue: 'g' });
      bus.subscribe('t.q', (m) => void seen.push(m.n), { queue: 'g' });
      for (let i = 0; i < 50; i++) bus.publish('t.q', { n: i });
      await bus.flush();
      await waitFor(() => seen.length >= 50);
      assert.deepEqual([...seen].sort((x, y) => x - y), [...Array(50).keys()]);
      await bus.close();
    });

    test('request gets the handler reply', async () => {
      const bus = await open();
      bus.subscribe('t.rr', async (m) => ({ n: m.n * 2 }));
      const r = await bus.request('t.rr', { n: 21 });
      assert.equal(r.n, 42);
      await bus.close();
    });

    test('request with nobody listening fails with no-responders', async () => {
      const bus = await open();
      await assert.rejects(bus.request('t.none', { n: 1 }, { timeoutMs: 500 }), (e: { code?: string }) =>
        ['no-responders', 'timeout'].includes(e.code ?? ''),
      );
      await bus.close();
    });

    test('a slow handler makes the request time out', async () => {
      const bus = await open();
      bus.subscribe('t.slow', () => new Promise((r) => setTimeout(() => r({ n: 0 }), 400)));
      await assert.rejects(bus.request('t.slow', { n: 1 }, { timeoutMs: 50 }), (e: { code?: string }) => e.code === 'timeout');
      await bus.close();
    });

    test('unsubscribed handlers receive nothing more', async () => {
      const bus = await open();
      const got: number[] = [];
      const sub = bus.subscribe('t.unsub', (m) => void got.push(m.n));
      bus.publish('t.unsub', { n: 1 });
      await bus.flush();
      await waitFor(() => got.length === 1);
      sub.unsubscribe();
      bus.publish('t.unsub', { n: 2 });
      // Proof of absence by round trip: a request on another subject after the publish.
      bus.subscribe('t.ping', () => ({ n: 0 }));
      await bus.request('t.ping', { n: 0 });
      await bus.flush();
      assert.deepEqual(got, [1]);
      await bus.close();
    });
  });
}

async function waitFor(cond: () => boolean, ms = 3000): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > ms) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 5));
  }
}
