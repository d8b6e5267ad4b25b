// The message archive (XEP-0313) for every Sql implementation; run by pglite.test.ts and
// postgres.test.ts next to the main store contract.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { NewArchiveEntry } from './archive.ts';
import { storePerSuite } from './contract-accounts.ts';
import type { Sql } from './sql.ts';

const T0 = Date.parse('2026-01-01T00:00:00.000Z');

function entry(owner: string, n: number, over: Partial<NewArchiveEntry> = {}): NewArchiveEntry {
  return {
    owner,
    with: 'bob@x',
    peer: 'bob@x/phone',
    dir: 'in',
    ts: new Date(T0 + n * 1000),
    msgId: `m${n}`,
    originId: null,
    replaces: null,
    body: `message number ${n}`,
    stanza: `<message id="m${n}"><body>message number ${n}</body></message>`,
    ...over,
  };
}

export function runArchiveContract(name: string, open: () => Promise<Sql>): void {
  describe(`${name} message archive`, () => {
    const opened = storePerSuite(open);
    const archive = () => opened().archive;
    const bodies = (items: Array<{ stanza: string }>) => items.map((i) => /number (\d+)/.exec(i.stanza)?.[1]);

    test('pages run forward from the start and backward from the end, oldest first in each page', async () => {
      const owner = 'pager@archive.example';
      const ids = await archive().append([1, 2, 3, 4, 5].map((n) => entry(owner, n)));
      assert.equal(new Set(ids).size, 5);
      const first = await archive().query({ owner, max: 2, direction: 'forward' });
      assert.ok(first !== 'item-not-found');
      assert.deepEqual(bodies(first.items), ['1', '2']);
      assert.equal(first.complete, false);
      const next = await archive().query({ owner, max: 2, direction: 'forward', after: first.items[1]!.id });
      assert.ok(next !== 'item-not-found');
      assert.deepEqual(bodies(next.items), ['3', '4']);
      const rest = await archive().query({ owner, max: 2, direction: 'forward', after: next.items[1]!.id });
      assert.ok(rest !== 'item-not-found');
      assert.deepEqual(bodies(rest.items), ['5']);
      assert.equal(rest.complete, true);
      const last = await archive().query({ owner, max: 2, direction: 'backward' });
      assert.ok(last !== 'item-not-found');
      assert.deepEqual(bodies(last.items), ['4', '5']);
      assert.equal(last.complete, false);
      const earlier = await archive().query({ owner, max: 3, direction: 'backward', before: last.items[0]!.id });
      assert.ok(earlier !== 'item-not-found');
      assert.deepEqual(bodies(earlier.items), ['1', '2', '3']);
      assert.equal(earlier.complete, true);
    });

    test('with, time range and id bounds narrow the set; an unknown id is item-not-found', async () => {
      const owner = 'filter@archive.example';
      const ids = await archive().append([
        entry(owner, 1),
        entry(owner, 2, { with: 'carol@x', peer: 'carol@x/desk' }),
        entry(owner, 3, { peer: 'bob@x/laptop' }),
        entry(owner, 4),
      ]);
      const q = async (extra: object) => {
        const r = await archive().query({ owner, max: 10, direction: 'forward', ...extra });
        assert.ok(r !== 'item-not-found');
        return bodies(r.items);
      };
      assert.deepEqual(await q({ with: 'bob@x' }), ['1', '3', '4']);
      assert.deepEqual(await q({ with: 'bob@x/laptop' }), ['3']);
      assert.deepEqual(await q({ start: new Date(T0 + 2000), end: new Date(T0 + 3000) }), ['2', '3']);
      assert.deepEqual(await q({ afterId: ids[0], beforeId: ids[3] }), ['2', '3']);
      assert.deepEqual(await q({ ids: [ids[3]!, ids[1]!] }), ['2', '4']);
      assert.equal(await archive().query({ owner, max: 10, direction: 'forward', after: 'nope' }), 'item-not-found');
      assert.equal(await archive().query({ owner: 'other@archive.example', max: 10, direction: 'forward', after: ids[0] }), 'item-not-found', 'ids are per archive');
    });

    test('full-text search finds the current text only: corrected and retracted messages drop out', async () => {
      const owner = 'search@archive.example';
      await archive().append([
        entry(owner, 1, { body: 'the quick brown fox', msgId: 'a' }),
        entry(owner, 2, { body: 'a lazy dog', msgId: 'b' }),
        entry(owner, 3, { body: 'quick fix', msgId: 'c' }),
      ]);
      const search = async (text: string) => {
        const r = await archive().query({ owner, max: 10, direction: 'forward', text });
        assert.ok(r !== 'item-not-found');
        return r.items.map((i) => i.stanza);
      };
      assert.equal((await search('quick')).length, 2);
      assert.equal((await search('QUICK fox')).length, 1, 'every word, any case');
      await archive().append([entry(owner, 4, { body: 'the slow brown fox', msgId: 'a2', replaces: 'a' })]);
      assert.equal((await search('quick')).length, 1, 'the corrected original no longer matches');
      assert.equal((await search('slow')).length, 1);
      assert.equal(await archive().retract(owner, 'bob@x', 'in', 'a', new Date(T0 + 9000), () => '<message><retracted/></message>'), 2, 'the original and its correction');
      assert.deepEqual(await search('fox'), []);
      const all = await archive().query({ owner, max: 10, direction: 'forward' });
      assert.ok(all !== 'item-not-found');
      assert.deepEqual(all.items.map((i) => i.retracted), [true, false, false, true]);
      assert.equal(all.items[0]!.stanza, '<message><retracted/></message>');
      assert.equal(await archive().retract(owner, 'bob@x', 'out', 'b', new Date(), () => ''), 0, 'only messages of that direction');
    });

    test('a retried hand-off is kept once and answered with the first id', async () => {
      const owner = 'retry@archive.example';
      const [a] = await archive().append([entry(owner, 1, { handoff: 'conn:1' })]);
      const [b] = await archive().append([entry(owner, 1, { handoff: 'conn:1' })]);
      assert.equal(a, b);
      const r = await archive().query({ owner, max: 10, direction: 'forward' });
      assert.ok(r !== 'item-not-found');
      assert.equal(r.items.length, 1);
    });

    test('appends made at the same moment share a statement and each gets its own ids, in order, a retry inside the batch included', async () => {
      const owner = 'together@archive.example';
      const [first] = await archive().append([entry(owner, 1, { handoff: 'c:1' })]);
      const calls = [
        archive().append([entry(owner, 2, { handoff: 'c:2' }), entry(owner, 2, { handoff: 'c:2', owner: 'other@archive.example', dir: 'out' })]),
        archive().append([entry(owner, 1, { handoff: 'c:1' })]), // a hand-off retried after it was archived
        archive().append([entry(owner, 3, { handoff: 'c:3' })]),
        archive().append([entry(owner, 3, { handoff: 'c:3' })]), // and one retried while the first is in the same batch
      ];
      const [two, retried, three, threeAgain] = await Promise.all(calls);
      assert.equal(two!.length, 2);
      assert.notEqual(two![0], two![1]);
      assert.deepEqual(retried, [first]);
      assert.deepEqual(threeAgain, three);
      const r = await archive().query({ owner, max: 10, direction: 'forward' });
      assert.ok(r !== 'item-not-found');
      assert.deepEqual(r.items.map((i) => i.id), [first, two![0], three![0]]);
    });

    test('a caller whose rows the store refuses fails alone; the others sharing its moment are kept', async () => {
      const owner = 'alone@archive.example';
      const bad = entry(owner, 2, { body: 'nul \u0000 byte' }); // text Postgres cannot hold
      const results = await Promise.allSettled([archive().append([entry(owner, 1)]), archive().append([bad]), archive().append([entry(owner, 3)])]);
      assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled']);
      const r = await archive().query({ owner, max: 10, direction: 'forward' });
      assert.ok(r !== 'item-not-found');
      assert.deepEqual(bodies(r.items), ['1', '3']);
    });

    test('the sweep deletes messages older than the cut-off in batches', async () => {
      const owner = 'old@archive.example';
      await archive().append([1, 2, 3].map((n) => entry(owner, n, { ts: new Date(Date.UTC(2000, 0, n)) })));
      await archive().append([entry(owner, 4, { ts: new Date() })]);
      assert.equal(await archive().sweep(new Date(Date.UTC(2000, 1, 1)), 2), 2);
      assert.equal(await archive().sweep(new Date(Date.UTC(2000, 1, 1)), 2), 1);
      const r = await archive().query({ owner, max: 10, direction: 'forward' });
      assert.ok(r !== 'item-not-found');
      assert.deepEqual(bodies(r.items), ['4']);
    });

    test('preferences are absent until set, then read back and replaced', async () => {
      const owner = 'prefs@archive.example';
      assert.equal(await archive().getPrefs(owner), null);
      await archive().setPrefs(owner, { defaultMode: 'roster', always: ['a@x'], never: ['b@x', 'c@x'] });
      assert.deepEqual(await archive().getPrefs(owner), { defaultMode: 'roster', always: ['a@x'], never: ['b@x', 'c@x'] });
      await archive().setPrefs(owner, { defaultMode: 'never', always: [], never: [] });
      assert.deepEqual(await archive().getPrefs(owner), { defaultMode: 'never', always: [], never: [] });
    });

    test('deleting the account deletes its archive and preferences', async () => {
      await opened().users.create('gone', 'archive.example', []);
      const owner = 'gone@archive.example';
      await archive().append([entry(owner, 1)]);
      await archive().setPrefs(owner, { defaultMode: 'never', always: [], never: [] });
      assert.equal(await opened().users.delete('gone', 'archive.example'), true);
      const r = await archive().query({ owner, max: 10, direction: 'forward' });
      assert.ok(r !== 'item-not-found');
      assert.deepEqual(r.items, []);
      assert.equal(await archive().getPrefs(owner), null);
    });
  });
}
