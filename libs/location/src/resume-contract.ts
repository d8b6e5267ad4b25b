// XEP-0198 §5 resumption state, one contract for every LocationService: a stream record, the
// outbox with the positions its deliveries were written at, detaching, the atomic move to a new
// connection on any edge, and expiry.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { LocationService, ResourceEntry } from './location.ts';

const entry = (jid: string, conn: string, edge = 'e1', more: Partial<ResourceEntry> = {}): ResourceEntry => ({ jid, conn, edge, priority: 0, available: true, sm: true, ...more });

export function runResumptionContract(name: string, open: () => Promise<LocationService>): void {
  describe(`resumption contract: ${name}`, () => {
    test('a stream record is saved, raised only by its holder, and dropped', async () => {
      const loc = await open();
      await loc.smSave('s1', { jid: 'a@x/r', conn: 'c1', h: 0 }, 60_000);
      await loc.smHandled('s1', 'c1', 5, 60_000);
      await loc.smHandled('s1', 'c1', 3, 60_000);
      await loc.smHandled('s1', 'other', 9, 60_000);
      assert.deepEqual(await loc.smGet('s1'), { jid: 'a@x/r', conn: 'c1', h: 5 });
      await loc.smDrop('s1');
      assert.equal(await loc.smGet('s1'), null);
      await loc.close();
    });

    test('a put fenced on the jid fails once the entry belongs to another connection', async () => {
      const loc = await open();
      await loc.register(entry('a@x/r', 'c1'));
      assert.equal(await loc.outboxPut('c1', 'd1', '<message id="1"/>', 'a@x/r'), true);
      assert.equal(await loc.outboxPut('c9', 'd2', '<message id="2"/>', 'a@x/r'), false);
      assert.equal(await loc.outboxPut('c1', 'd3', '<message id="3"/>', 'nobody@x/r'), false);
      assert.deepEqual(await loc.outboxTake('c1'), ['<message id="1"/>']);
      await loc.close();
    });

    test('resume moves entry, outbox with positions, and record to the new connection in one step', async () => {
      const loc = await open();
      await loc.heartbeat('e2', 60_000);
      await loc.register(entry('a@x/r', 'c1', 'e1', { presence: '<presence/>', priority: 3, carbons: true, resumable: 60_000 }));
      await loc.smSave('s1', { jid: 'a@x/r', conn: 'c1', h: 4 }, 60_000);
      await loc.outboxPut('c1', 'd1', '<message id="1"/>', 'a@x/r');
      await loc.outboxPut('c1', 'd2', '<message id="2"/>', 'a@x/r');
      await loc.outboxPut('c1', 'd3', '<message id="3"/>', 'a@x/r');
      await loc.outboxSent('c1', [
        ['d1', 7],
        ['d2', 8],
        ['gone', 9],
      ]);
      await loc.outboxAck('c1', ['d1']);
      assert.equal(await loc.detach('a@x/r', 'c1', Date.now() + 60_000), true);
      assert.equal((await loc.resources('a@x'))[0]?.detached !== undefined, true);
      const r = await loc.resume('a@x/r', 'c1', { edge: 'e2', conn: 'c2' }, 's1');
      assert.ok(r);
      assert.equal(r.previous.conn, 'c1');
      assert.equal(r.previous.edge, 'e1');
      assert.ok(r.previous.detached !== undefined);
      assert.deepEqual(r.outbox, [
        { id: 'd2', xml: '<message id="2"/>', seq: 8 },
        { id: 'd3', xml: '<message id="3"/>' },
      ]);
      assert.deepEqual(r.record, { jid: 'a@x/r', conn: 'c2', h: 4 });
      const [now] = await loc.resources('a@x');
      assert.equal(now?.conn, 'c2');
      assert.equal(now?.edge, 'e2');
      assert.equal(now?.detached, undefined);
      assert.equal(now?.presence, '<presence/>');
      assert.equal(now?.priority, 3);
      assert.equal(now?.carbons, true);
      assert.deepEqual(await loc.connectionsPerEdge(), new Map([['e2', 1]]));
      // A second resumption of the same old connection finds nothing; the outbox moved.
      assert.equal(await loc.resume('a@x/r', 'c1', { edge: 'e1', conn: 'c3' }, 's1'), null);
      assert.deepEqual(await loc.outboxTake('c1'), []);
      assert.deepEqual(await loc.outboxTake('c2'), ['<message id="2"/>', '<message id="3"/>']);
      // The moved session no longer expires from its old detachment.
      assert.deepEqual(await loc.expireDetached(Date.now() + 120_000), []);
      await loc.close();
    });

    test('an attached session can be taken over too (the old connection is then closed by its edge)', async () => {
      const loc = await open();
      await loc.register(entry('a@x/r', 'c1'));
      const r = await loc.resume('a@x/r', 'c1', { edge: 'e2', conn: 'c2' }, 'none');
      assert.equal(r?.previous.detached, undefined);
      assert.equal(r?.record, null);
      assert.equal(await loc.detach('a@x/r', 'c1', Date.now() + 1000), false, 'the old connection cannot detach what moved');
      await loc.close();
    });

    test('detached sessions expire after their window; a drained edge keeps them', async () => {
      const loc = await open();
      await loc.heartbeat('e1', 60_000);
      await loc.register(entry('a@x/1', 'c1'));
      await loc.register(entry('a@x/2', 'c2'));
      const t = Date.now();
      assert.equal(await loc.detach('a@x/1', 'c1', t + 1000), true);
      assert.equal(await loc.detach('a@x/1', 'c9', t + 1000), false);
      assert.deepEqual(await loc.expireDetached(t + 500), []);
      assert.equal((await loc.removeEdge('e1')).length, 1, 'only the attached one goes with the edge');
      assert.equal((await loc.resources('a@x')).length, 1);
      const gone = await loc.expireDetached(t + 1500);
      assert.deepEqual(
        gone.map((g) => [g.jid, g.conn, g.available, g.sm]),
        [['a@x/1', 'c1', true, true]],
      );
      assert.deepEqual(await loc.resources('a@x'), []);
      assert.equal(await loc.count(), 0);
      await loc.close();
    });

    test('a dead edge detaches its resumable sessions for their window and removes the others', async () => {
      const loc = await open();
      await loc.heartbeat('e1', 300);
      await loc.register(entry('a@x/1', 'c1', 'e1', { resumable: 400 }));
      await loc.register(entry('b@x/1', 'c2', 'e1'));
      await waitFor(async () => !(await loc.liveEdges()).includes('e1'));
      const reaped = await loc.reapDeadEdges();
      assert.deepEqual(
        reaped.map((r) => r.jid),
        ['b@x/1'],
      );
      const [kept] = await loc.resources('a@x');
      assert.ok(kept?.detached !== undefined && kept.detached > Date.now());
      await waitFor(async () => (await loc.reapDeadEdges()).some((r) => r.jid === 'a@x/1'));
      assert.deepEqual(await loc.resources('a@x'), []);
      await loc.close();
    });
  });
}

async function waitFor(cond: () => Promise<boolean>, ms = 3000): Promise<void> {
  const start = Date.now();
  while (!(await cond())) {
    if (Date.now() - start > ms) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 20));
  }
}
