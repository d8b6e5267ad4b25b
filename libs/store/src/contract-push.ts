// One contract for the XEP-0357 push registrations on every Sql (PGlite and Postgres).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { migrate } from './migrate.ts';
import type { Sql } from './sql.ts';
import { createStore } from './store.ts';

export function runPushContract(name: string, open: () => Promise<Sql>): void {
  describe(`push registrations contract: ${name}`, () => {
    test('enable keeps one registration per app server and node; disable one node or all of a service', async () => {
      const sql = await open();
      await migrate(sql);
      const store = createStore(sql);
      try {
        await store.push.enable('a@x', { service: 'push.example', node: 'n1', options: null });
        await store.push.enable('a@x', { service: 'push.example', node: 'n1', options: '<x/>' });
        await store.push.enable('a@x', { service: 'push.example', node: 'n2', options: null });
        await store.push.enable('a@x', { service: 'other.example', node: 'n1', options: null });
        await store.push.enable('b@x', { service: 'push.example', node: 'n1', options: null });
        assert.deepEqual(await store.push.list('a@x'), [
          { service: 'other.example', node: 'n1', options: null },
          { service: 'push.example', node: 'n1', options: '<x/>' },
          { service: 'push.example', node: 'n2', options: null },
        ]);
        assert.equal(await store.push.disable('a@x', 'push.example', 'n2'), 1);
        assert.equal(await store.push.disable('a@x', 'push.example'), 1);
        assert.deepEqual(await store.push.list('a@x'), [{ service: 'other.example', node: 'n1', options: null }]);
        assert.equal((await store.push.list('b@x')).length, 1);
        // Removed with the account.
        await store.users.create('a', 'x', []);
        await store.users.delete('a', 'x');
        assert.deepEqual(await store.push.list('a@x'), []);
      } finally {
        await store.close();
      }
    });
  });
}
