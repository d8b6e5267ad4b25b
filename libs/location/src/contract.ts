// One contract suite for every LocationService (in-memory now, Redis in cluster mode).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { LocationService, ResourceEntry } from './location.ts';

const entry = (jid: string, conn: string, edge = 'e1'): ResourceEntry => ({ jid, conn, edge, priority: 0, available: false });

export function runLocationContract(name: string, open: () => Promise<LocationService>): void {
  describe(`location contract: ${name}`, () => {
    test('register never overwrites an existing resource', async () => {
      const loc = await open();
      assert.deepEqual(await loc.register(entry('a@x/r', 'c1')), { ok: true });
      const again = await loc.register(entry('a@x/r', 'c2'));
      assert.equal(again.ok, false);
      if (!again.ok) assert.equal(again.current.conn, 'c1');
      await loc.close();
    });

    test('unregister is compare-and-delete on the connection id', async () => {
      const loc = await open();
      await loc.register(entry('a@x/r', 'c1'));
      assert.equal(await loc.unregister('a@x/r', 'c-old'), false);
      assert.equal((await loc.resources('a@x')).length, 1);
      assert.equal(await loc.unregister('a@x/r', 'c1'), true);
      assert.deepEqual(await loc.resources('a@x'), []);
      await loc.close();
    });

    test('replace only succeeds against the expected owner', async () => {
      const loc = await open();
      await loc.register(entry('a@x/r', 'c1'));
      assert.equal(await loc.replace(entry('a@x/r', 'c3'), 'c2'), false);
      assert.equal(await loc.replace(entry('a@x/r', 'c2'), 'c1'), true);
      assert.equal((await loc.resources('a@x'))[0]?.conn, 'c2');
      await loc.close();
    });

    test('update is fenced by the connection id', async () => {
      const loc = await open();
      await loc.register(entry('a@x/r', 'c1'));
      assert.equal(await loc.update('a@x/r', 'c9', { available: true }), false);
      assert.equal(await loc.update('a@x/r', 'c1', { available: true, priority: 5, presence: '<presence/>' }), true);
      const [r] = await loc.resources('a@x');
      assert.equal(r?.available, true);
      assert.equal(r?.priority, 5);
      assert.equal(r?.presence, '<presence/>');
      await loc.close();
    });

    test('resources of many bare JIDs come back in one call', async () => {
      const loc = await open();
      await loc.register(entry('a@x/1', 'c1'));
      await loc.register(entry('a@x/2', 'c2', 'e2'));
      await loc.register(entry('b@x/1', 'c3'));
      const m = await loc.resourcesOf(['a@x', 'b@x', 'nobody@x']);
      assert.equal(m.get('a@x')?.length, 2);
      assert.equal(m.get('b@x')?.length, 1);
      assert.deepEqual(m.get('nobody@x'), []);
      assert.equal(await loc.count(), 3);
      await loc.close();
    });

    test('listing pages through every online resource once and counts entries per edge', async () => {
      const loc = await open();
      const jids: string[] = [];
      for (let i = 0; i < 25; i++) {
        jids.push(`u${i}@x/a`, `u${i}@x/b`);
        await loc.register(entry(`u${i}@x/a`, `c${i}a`, 'e1'));
        await loc.register(entry(`u${i}@x/b`, `c${i}b`, i < 5 ? 'e2' : 'e1'));
      }
      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await loc.list({ cursor, limit: 10 });
        seen.push(...page.entries.map((e) => e.jid));
        cursor = page.cursor ?? undefined;
        pages++;
      } while (cursor !== undefined && pages < 100);
      assert.deepEqual(seen.sort(), jids.sort());
      assert.ok(pages > 1, 'more than one page');
      assert.deepEqual([...(await loc.connectionsPerEdge())].sort(), [
        ['e1', 45],
        ['e2', 5],
      ]);
      await loc.close();
    });

    test('an empty location service lists nothing', async () => {
      const loc = await open();
      assert.deepEqual(await loc.list({ limit: 10 }), { entries: [], cursor: null });
      assert.deepEqual(await loc.connectionsPerEdge(), new Map());
      await loc.close();
    });

    test('an outbox keeps unacknowledged deliveries in order until taken', async () => {
      const loc = await open();
      await loc.outboxPut('c1', 'd1', '<message id="1"/>');
      await loc.outboxPut('c1', 'd2', '<message id="2"/>');
      await loc.outboxPut('c1', 'd3', '<message id="3"/>');
      await loc.outboxPut('c2', 'd1', '<message id="other"/>');
      await loc.outboxAck('c1', ['d2']);
      assert.deepEqual(await loc.outboxTake('c1'), ['<message id="1"/>', '<message id="3"/>']);
      assert.deepEqual(await loc.outboxTake('c1'), []);
      assert.deepEqual(await loc.outboxTake('c2'), ['<message id="other"/>']);
      await loc.close();
    });

    test('the deliveries left in an outbox can be read without taking them, with where each was written', async () => {
      const loc = await open();
      await loc.outboxPut('c1', 'd1', '<message id="1"/>');
      await loc.outboxPut('c1', 'd2', '<message id="2"/>');
      await loc.outboxPut('c1', 'd3', '<message id="3"/>');
      await loc.outboxSent('c1', [['d1', 4]]);
      await loc.outboxAck('c1', ['d2']);
      const left = [
        { id: 'd1', xml: '<message id="1"/>', seq: 4 },
        { id: 'd3', xml: '<message id="3"/>' },
      ];
      assert.deepEqual(await loc.outboxPending('c1'), left);
      assert.deepEqual(await loc.outboxPending('c1'), left, 'reading takes nothing');
      assert.deepEqual(await loc.outboxPending('c2'), []);
      await loc.close();
    });

    test('removing an edge removes exactly its entries', async () => {
      const loc = await open();
      await loc.register(entry('a@x/1', 'c1', 'e1'));
      await loc.register(entry('a@x/2', 'c2', 'e2'));
      const removed = await loc.removeEdge('e1');
      assert.deepEqual(
        removed.map((r) => r.jid),
        ['a@x/1'],
      );
      assert.deepEqual(
        (await loc.resources('a@x')).map((r) => r.jid),
        ['a@x/2'],
      );
      await loc.close();
    });

    test('removing an edge keeps an entry that has moved to another edge', async () => {
      const loc = await open();
      await loc.register(entry('a@x/r', 'c1', 'e1'));
      assert.equal(await loc.replace(entry('a@x/r', 'c2', 'e2'), 'c1'), true);
      assert.deepEqual(await loc.removeEdge('e1'), []);
      assert.deepEqual(
        (await loc.resources('a@x')).map((r) => [r.conn, r.edge]),
        [['c2', 'e2']],
      );
      assert.equal(await loc.count(), 1);
      await loc.close();
    });

    test('reaping removes the entries of an edge whose heartbeat expired and keeps live ones', async () => {
      const loc = await open();
      // Long enough to still be live at the first check even on a loaded machine.
      await loc.heartbeat('e1', 400);
      await loc.heartbeat('e2', 60_000);
      await loc.register(entry('a@x/1', 'c1', 'e1'));
      await loc.register(entry('b@x/1', 'c2', 'e1'));
      await loc.register(entry('a@x/2', 'c3', 'e2'));
      assert.deepEqual((await loc.liveEdges()).sort(), ['e1', 'e2']);
      await waitFor(async () => !(await loc.liveEdges()).includes('e1'));
      const reaped = await loc.reapDeadEdges();
      assert.deepEqual(reaped.map((r) => r.jid).sort(), ['a@x/1', 'b@x/1']);
      assert.deepEqual(
        (await loc.resources('a@x')).map((r) => r.jid),
        ['a@x/2'],
      );
      assert.deepEqual(await loc.resources('b@x'), []);
      assert.deepEqual(await loc.liveEdges(), ['e2']);
      assert.deepEqual(await loc.reapDeadEdges(), []);
      assert.equal(await loc.count(), 1);
      await loc.close();
    });

    test('an edge that never sent a heartbeat is reaped', async () => {
      const loc = await open();
      await loc.heartbeat('e2', 60_000);
      await loc.register(entry('a@x/1', 'c1', 'e1'));
      await loc.register(entry('a@x/2', 'c2', 'e2'));
      assert.deepEqual(
        (await loc.reapDeadEdges()).map((r) => [r.jid, r.conn, r.edge]),
        [['a@x/1', 'c1', 'e1']],
      );
      assert.equal(await loc.count(), 1);
      await loc.close();
    });

    test('an edge that beats again before the reaper runs keeps its entries', async () => {
      const loc = await open();
      await loc.heartbeat('e1', 60);
      await loc.register(entry('a@x/1', 'c1', 'e1'));
      await waitFor(async () => (await loc.liveEdges()).length === 0);
      await loc.heartbeat('e1', 60_000);
      assert.deepEqual(await loc.reapDeadEdges(), []);
      assert.equal((await loc.resources('a@x')).length, 1);
      await loc.close();
    });

    test('a heartbeat says whether the edge was still known, and a lapse makes lookups uncertain for a moment', async () => {
      const loc = await open();
      assert.equal(await loc.heartbeat('e1', 300), false, 'a first beat finds nothing to continue');
      assert.equal(await loc.recovering(), false, 'a first start is no loss');
      assert.equal(await loc.heartbeat('e1', 300), true);
      await waitFor(async () => !(await loc.liveEdges()).includes('e1'));
      assert.equal(await loc.heartbeat('e1', 300), false, 'the lapse is reported: its entries may have been reaped');
      assert.equal(await loc.recovering(), true);
      await waitFor(async () => !(await loc.recovering()));
      assert.equal(await loc.heartbeat('e1', 60_000), true);
      await loc.close();
    });

    test('removing an edge forgets its heartbeat', async () => {
      const loc = await open();
      await loc.heartbeat('e1', 60_000);
      await loc.register(entry('a@x/1', 'c1', 'e1'));
      assert.equal((await loc.removeEdge('e1')).length, 1);
      assert.deepEqual(await loc.liveEdges(), []);
      await loc.close();
    });
  });
}

async function waitFor(cond: () => Promise<boolean>, ms = 3000): Promise<void> {
  const start = Date.now();
  while (!(await cond())) {
    if (Date.now() - start > ms) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 10));
  }
}
