// XEP-0484 FAST tokens for every Sql implementation; run by pglite.test.ts and postgres.test.ts.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { storePerSuite } from './contract-accounts.ts';
import { credential } from './contract.ts';
import type { Sql } from './sql.ts';

const d = 'fast.example';
const later = (s: number) => new Date(Date.now() + s * 1000);
const tok = (clientId: string, hash: string, mechanism = 'HT-SHA-256-NONE') => ({ clientId, hash, mechanism, expiresAt: later(3600), userAgent: 'app' });

export function runFastTokenContract(name: string, open: () => Promise<Sql>): void {
  describe(`${name} FAST tokens`, () => {
    const opened = storePerSuite(open);

    test('a token is issued into the new slot and becomes current when used, replacing the older one', async () => {
      const s = opened();
      await s.users.create('ann', d, [credential('SHA-256')]);
      assert.equal(await s.fastTokens.issue('ann', d, tok('phone', 'h1'), 5), true);
      assert.deepEqual((await s.fastTokens.candidates('ann', d, 'phone')).map((t) => [t.slot, t.hash]), [['new', 'h1']]);
      assert.equal(await s.fastTokens.use('ann', d, 'phone', 'h1', null), 'ok');
      assert.equal(await s.fastTokens.issue('ann', d, tok('phone', 'h2'), 5), true);
      assert.deepEqual((await s.fastTokens.candidates('ann', d, 'phone')).map((t) => [t.slot, t.hash]), [['new', 'h2'], ['current', 'h1']]);
      // Until h2 is used, h1 still works (a client that missed the rotation can log in).
      assert.equal(await s.fastTokens.use('ann', d, 'phone', 'h1', null), 'ok');
      assert.equal(await s.fastTokens.use('ann', d, 'phone', 'h2', null), 'ok');
      assert.deepEqual((await s.fastTokens.candidates('ann', d, 'phone')).map((t) => [t.slot, t.hash]), [['current', 'h2']]);
      assert.equal(await s.fastTokens.use('ann', d, 'phone', 'h1', null), 'gone');
    });

    test('an unused new token is replaced by a newer one', async () => {
      const s = opened();
      await s.users.create('bea', d, [credential('SHA-256')]);
      await s.fastTokens.issue('bea', d, tok('web', 'a'), 5);
      await s.fastTokens.issue('bea', d, tok('web', 'b'), 5);
      assert.deepEqual((await s.fastTokens.candidates('bea', d, 'web')).map((t) => t.hash), ['b']);
    });

    test('a replay counter must grow', async () => {
      const s = opened();
      await s.users.create('cal', d, [credential('SHA-256')]);
      await s.fastTokens.issue('cal', d, tok('phone', 'c1'), 5);
      assert.equal(await s.fastTokens.use('cal', d, 'phone', 'c1', 3), 'ok');
      assert.equal(await s.fastTokens.use('cal', d, 'phone', 'c1', 3), 'replayed');
      assert.equal(await s.fastTokens.use('cal', d, 'phone', 'c1', 2), 'replayed');
      assert.equal(await s.fastTokens.use('cal', d, 'phone', 'c1', null), 'ok', 'no counter: nothing to compare');
      assert.equal(await s.fastTokens.use('cal', d, 'phone', 'c1', 4), 'ok');
      assert.equal((await s.fastTokens.candidates('cal', d, 'phone'))[0]?.lastCount, 4);
    });

    test('tokens are kept for a bounded number of clients per account, the least recent going first', async () => {
      const s = opened();
      await s.users.create('dan', d, [credential('SHA-256')]);
      for (const c of ['c1', 'c2', 'c3']) {
        await s.fastTokens.issue('dan', d, tok(c, `h-${c}`), 2);
        await new Promise((r) => setTimeout(r, 5)); // distinct creation times
      }
      assert.deepEqual((await s.fastTokens.list('dan', d)).map((t) => t.clientId), ['c3', 'c2']);
    });

    test('revocation drops one client or all, a password change drops all, and account deletion too', async () => {
      const s = opened();
      await s.users.create('eve', d, [credential('SHA-256')]);
      await s.fastTokens.issue('eve', d, tok('a', 'x'), 5);
      await s.fastTokens.issue('eve', d, tok('b', 'y'), 5);
      await s.fastTokens.issue('eve', d, tok('c', 'z'), 5);
      assert.equal(await s.fastTokens.revoke('eve', d, 'a'), 1);
      assert.deepEqual((await s.fastTokens.list('eve', d)).map((t) => t.clientId).sort(), ['b', 'c']);
      assert.equal(await s.fastTokens.remove('eve', d, 'b', 'y'), true);
      assert.equal(await s.fastTokens.remove('eve', d, 'b', 'y'), false);
      await s.users.setCredentials('eve', d, [credential('SHA-256', 'new')]);
      assert.deepEqual(await s.fastTokens.list('eve', d), []);
      await s.fastTokens.issue('eve', d, tok('a', 'x2'), 5);
      assert.equal(await s.fastTokens.revoke('eve', d), 1);
      await s.fastTokens.issue('eve', d, tok('a', 'x3'), 5);
      await s.users.delete('eve', d);
      assert.deepEqual(await s.fastTokens.list('eve', d), []);
    });

    test('no token for an unknown account, and none usable while the account is locked', async () => {
      const s = opened();
      assert.equal(await s.fastTokens.issue('ghost', d, tok('a', 'x'), 5), false);
      await s.users.create('fay', d, [credential('SHA-256')]);
      await s.fastTokens.issue('fay', d, tok('a', 'x'), 5);
      await s.users.setLocked('fay', d, true);
      assert.deepEqual(await s.fastTokens.candidates('fay', d, 'a'), []);
      await s.users.setLocked('fay', d, false);
      assert.equal((await s.fastTokens.candidates('fay', d, 'a')).length, 1);
    });
  });
}
