// Account administration (lock, lookup, search) for every Sql implementation; run by
// pglite.test.ts and postgres.test.ts next to the main store contract.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { credential } from './contract.ts';
import { invitationDigest } from './invitations.ts';
import { migrate } from './migrate.ts';
import type { Sql } from './sql.ts';
import { createStore } from './store.ts';
import type { Store } from './types.ts';

/** A migrated store opened before the suite's first test and closed after its last. */
export function storePerSuite(open: () => Promise<Sql>): () => Store {
  let store: Store | undefined;
  before(async () => {
    const sql = await open();
    await migrate(sql);
    store = createStore(sql);
  });
  after(async () => {
    await store?.close();
  });
  return () => {
    assert.ok(store, 'the store opens before the first test');
    return store;
  };
}

export function runAccountContract(name: string, open: () => Promise<Sql>): void {
  describe(`${name} account administration`, () => {
    const opened = storePerSuite(open);

    test('a locked account hands out its credential marked locked, and unlocking clears the mark', async () => {
      const d = 'lock.example';
      await opened().users.create('alice', d, [credential('SHA-256')]);
      assert.equal((await opened().users.get('alice', d))?.locked, false);
      assert.equal(await opened().users.setLocked('alice', d, true), true);
      assert.deepEqual(await opened().users.getCredential('alice', d, 'SHA-256'), { ...credential('SHA-256'), locked: true });
      assert.equal((await opened().users.get('alice', d))?.locked, true);
      assert.equal(await opened().users.setLocked('alice', d, false), true);
      assert.deepEqual(await opened().users.getCredential('alice', d, 'SHA-256'), credential('SHA-256'));
    });

    test('locking an unknown account reports that it does not exist', async () => {
      assert.equal(await opened().users.setLocked('nobody', 'lock.example', true), false);
      assert.equal(await opened().users.get('nobody', 'lock.example'), null);
    });

    test('a password change keeps the lock', async () => {
      const d = 'lock2.example';
      await opened().users.create('bob', d, [credential('SHA-256')]);
      await opened().users.setLocked('bob', d, true);
      await opened().users.setCredentials('bob', d, [credential('SHA-256', 'new')]);
      assert.equal((await opened().users.getCredential('bob', d, 'SHA-256'))?.locked, true);
    });

    test('find matches a part of the username literally, pages in byte order and reports creation and lock', async () => {
      const d = 'find.example';
      for (const u of ['anna', 'hanna', 'bob', 'x%_y', 'xay']) await opened().users.create(u, d, [credential('SHA-1')]);
      await opened().users.setLocked('hanna', d, true);
      const found = await opened().users.find(d, { contains: 'nna' });
      assert.deepEqual(
        found.map((u) => [u.username, u.locked]),
        [
          ['anna', false],
          ['hanna', true],
        ],
      );
      assert.ok(found[0]?.createdAt instanceof Date && Math.abs(found[0].createdAt.getTime() - Date.now()) < 60_000);
      assert.deepEqual(
        (await opened().users.find(d, { contains: '%_' })).map((u) => u.username),
        ['x%_y'],
      );
      assert.deepEqual(
        (await opened().users.find(d, { limit: 2, after: 'anna' })).map((u) => u.username),
        ['bob', 'hanna'],
      );
      assert.equal((await opened().users.find(d)).length, 5);
    });

    test('a name confusable with an existing account (UTS #39 skeleton) is refused and the holder named', async () => {
      const d = 'lookalike.example';
      assert.equal(await opened().users.create('paypal', d, [credential('SHA-256')]), true);
      assert.equal(await opened().users.lookalikeOf('paypa1', d), 'paypal');
      assert.equal(await opened().users.lookalikeOf('p\u0430ypal', d), 'paypal', 'Cyrillic a');
      assert.equal(await opened().users.create('paypa1', d, [credential('SHA-256')]), false, 'refused atomically by the store too');
      assert.equal(await opened().users.exists('paypa1', d), false);
      assert.equal(await opened().users.lookalikeOf('paypal', d), null, 'an account is not its own look-alike');
      assert.equal(await opened().users.lookalikeOf('paypa1', 'other.example'), null, 'another domain has its own names');
      await opened().users.delete('paypal', d);
      assert.equal(await opened().users.create('paypa1', d, [credential('SHA-256')]), true, 'free again once the holder is gone');
    });
  });

  describe(`${name} skeletons of accounts older than look-alike detection`, () => {
    let sql: Sql | undefined;
    before(async () => {
      sql = await open();
      await migrate(sql);
    });
    after(async () => {
      await sql?.close();
    });

    test('migrate fills them in and names the later of a look-alike pair', async () => {
      const db = sql as Sql;
      const d = 'old.example';
      // As accounts created by a build before migration 0012 left them.
      for (const u of ['modern', 'rnodern', 'zed']) await db.query('INSERT INTO users (domain, username) VALUES ($1, $2)', [d, u]);
      const { lookalikes } = await migrate(db);
      assert.deepEqual(lookalikes, [`rnodern@${d}`]);
      const store = createStore(db);
      assert.equal(await store.users.lookalikeOf('zebra', d), null);
      assert.equal(await store.users.lookalikeOf('zed', d), null);
      assert.equal(await store.users.lookalikeOf('rnodern', d), 'modern');
      assert.deepEqual((await migrate(db)).lookalikes, [`rnodern@${d}`], 'the pair stays reported until an admin resolves it');
    });
  });

  describe(`${name} invitations`, () => {
    const opened = storePerSuite(open);
    const d = 'invite.example';
    const base = { domain: d, inviter: `alice@${d}`, kind: 'roster' as const, createdBy: 'cli' };
    const inAnHour = () => new Date(Date.now() + 3_600_000);

    test('a token is redeemed once, by digest, and records who used it', async () => {
      await opened().invitations.create({ ...base, id: 'inv1', tokenHash: invitationDigest('secret-1'), expiresAt: inAnHour() });
      assert.equal(await opened().invitations.redeem(invitationDigest('wrong'), `bob@${d}`, { kind: 'roster' }), null);
      assert.equal(await opened().invitations.redeem(invitationDigest('secret-1'), `bob@${d}`, { kind: 'roster', inviter: `mallory@${d}` }), null, 'another inviter’s token');
      assert.equal(await opened().invitations.redeem(invitationDigest('secret-1'), `bob@${d}`, { kind: 'account' }), null, 'another kind');
      const used = await opened().invitations.redeem(invitationDigest('secret-1'), `bob@${d}`, { kind: 'roster', inviter: `alice@${d}` });
      assert.equal(used?.inviter, `alice@${d}`);
      assert.equal(used?.usedBy, `bob@${d}`);
      assert.equal(await opened().invitations.redeem(invitationDigest('secret-1'), `carol@${d}`, { kind: 'roster' }), null, 'single use');
      assert.equal(await opened().invitations.revoke('inv1'), false, 'a used invitation is not revoked');
    });

    test('an expired or revoked token is refused, and listing shows the state of each', async () => {
      await opened().invitations.create({ ...base, id: 'inv2', tokenHash: invitationDigest('secret-2'), expiresAt: new Date(Date.now() - 1000) });
      await opened().invitations.create({ ...base, id: 'inv3', tokenHash: invitationDigest('secret-3'), expiresAt: inAnHour() });
      assert.equal(await opened().invitations.redeem(invitationDigest('secret-2'), `bob@${d}`, { kind: 'roster' }), null, 'expired');
      assert.equal(await opened().invitations.revoke('inv3'), true);
      assert.equal(await opened().invitations.redeem(invitationDigest('secret-3'), `bob@${d}`, { kind: 'roster' }), null, 'revoked');
      const listed = await opened().invitations.list(d, { inviter: `alice@${d}` });
      assert.deepEqual(listed.map((i) => i.id).sort(), ['inv1', 'inv2', 'inv3']);
      assert.ok(listed.find((i) => i.id === 'inv3')?.revokedAt instanceof Date);
      assert.deepEqual(await opened().invitations.list(d, { inviter: `nobody@${d}` }), []);
    });

    test('concurrent redemptions of one token let exactly one through', async () => {
      await opened().invitations.create({ ...base, id: 'inv4', tokenHash: invitationDigest('secret-4'), expiresAt: inAnHour() });
      const tries = await Promise.all(['a', 'b', 'c', 'd'].map((u) => opened().invitations.redeem(invitationDigest('secret-4'), `${u}@${d}`, { kind: 'roster' })));
      assert.equal(tries.filter((t) => t !== null).length, 1);
    });

    test('an account invitation is checked without being spent, and settles once for the account that used it', async () => {
      await opened().invitations.create({ ...base, kind: 'account', id: 'inv5', tokenHash: invitationDigest('secret-5'), expiresAt: inAnHour() });
      assert.equal(await opened().invitations.peek(invitationDigest('secret-5'), 'roster'), null, 'another kind');
      assert.equal((await opened().invitations.peek(invitationDigest('secret-5'), 'account'))?.id, 'inv5');
      assert.equal((await opened().invitations.peek(invitationDigest('secret-5'), 'account'))?.id, 'inv5', 'peeking spends nothing');
      assert.equal(await opened().invitations.settle(`newbie@${d}`), null, 'not used yet');
      assert.ok(await opened().invitations.redeem(invitationDigest('secret-5'), `newbie@${d}`, { kind: 'account' }));
      assert.equal(await opened().invitations.peek(invitationDigest('secret-5'), 'account'), null, 'used');
      assert.equal(await opened().invitations.settle(`newbie@${d}`), `alice@${d}`);
      assert.equal(await opened().invitations.settle(`newbie@${d}`), null, 'once');
    });
  });
}
