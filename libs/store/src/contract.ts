// The behaviour every Sql implementation must show; run by pglite.test.ts and postgres.test.ts.
// One database per suite: tests use their own domains, owners and migration version ranges, so they
// do not depend on each other or on their order.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { defaultMigrationsDir, migrate } from './migrate.ts';
import type { Sql } from './sql.ts';
import { createStore } from './store.ts';
import type { RosterItem, Store, StoredCredential } from './types.ts';

export function credential(hash: StoredCredential['hash'], tag = 'a'): StoredCredential {
  return {
    hash,
    salt: Buffer.from(`salt-${tag}`).toString('base64'),
    iterations: 4096,
    storedKey: Buffer.from(`stored-${hash}-${tag}`).toString('base64'),
    serverKey: Buffer.from(`server-${hash}-${tag}`).toString('base64'),
  };
}

function item(contact: string, over: Partial<RosterItem> = {}): RosterItem {
  return { contact, name: null, subscription: 'none', ask: null, pendingIn: false, approved: false, hidden: false, groups: [], ...over };
}

/** The names of the repository's migration files, in the order they apply. */
export function repositoryMigrations(): string[] {
  return readdirSync(defaultMigrationsDir)
    .filter((f) => /^\d+_[A-Za-z0-9_-]+\.sql$/.test(f))
    .sort()
    .map((f) => f.slice(0, -'.sql'.length));
}

export function runStoreContract(name: string, open: () => Promise<Sql>): void {
  describe(`${name} store contract`, () => {
    let sql: Sql;
    let store: Store;
    let firstMigration: { applied: string[] };
    let tmp: string;

    before(async () => {
      sql = await open();
      firstMigration = await migrate(sql);
      store = createStore(sql);
      tmp = await mkdtemp(join(tmpdir(), 'parley-migrations-'));
    });
    after(async () => {
      await store?.close();
      if (tmp) await rm(tmp, { recursive: true, force: true });
    });

    async function migrationDir(sub: string, files: Record<string, string>): Promise<string> {
      const dir = join(tmp, sub);
      await rm(dir, { recursive: true, force: true });
      await mkdir(dir);
      for (const [file, text] of Object.entries(files)) await writeFile(join(dir, file), text);
      return dir;
    }

    describe('migrations', () => {
      test('the repository migrations apply on an empty database and a second run applies nothing', async () => {
        assert.deepEqual(firstMigration.applied, repositoryMigrations());
        assert.deepEqual(await migrate(sql), { applied: [], lookalikes: [] });
      });

      test('applies numbered files in numeric order and records each once', async () => {
        // 1002 needs 1001's table and 1010 needs both, so any other order fails.
        const dir = await migrationDir('ordered', {
          '1010_fill.sql': "INSERT INTO mig_parent VALUES (1); INSERT INTO mig_child VALUES (1, 'x');",
          '1001_parent.sql': 'CREATE TABLE mig_parent (id int PRIMARY KEY);',
          '1002_child.sql': 'CREATE TABLE mig_child (parent int REFERENCES mig_parent, v text);',
        });
        assert.deepEqual((await migrate(sql, dir)).applied, ['1001_parent', '1002_child', '1010_fill']);
        assert.deepEqual((await migrate(sql, dir)).applied, []);
        const rows = await sql.query<{ version: number; name: string }>(
          'SELECT version, name FROM schema_migrations WHERE version BETWEEN 1000 AND 1099 ORDER BY version',
        );
        assert.deepEqual(
          rows.map((r) => [Number(r.version), r.name]),
          [
            [1001, '1001_parent'],
            [1002, '1002_child'],
            [1010, '1010_fill'],
          ],
        );
        assert.equal((await sql.query('SELECT * FROM mig_child')).length, 1);
      });

      test('refuses to run when an applied migration was edited', async () => {
        const dir = await migrationDir('edited', {
          '1101_t.sql': 'CREATE TABLE mig_edit (a int);',
          '1102_u.sql': 'CREATE TABLE mig_edit2 (a int);',
        });
        await migrate(sql, dir);
        await writeFile(join(dir, '1101_t.sql'), 'CREATE TABLE mig_edit (a int, b int);');
        await writeFile(join(dir, '1103_v.sql'), 'CREATE TABLE mig_edit3 (a int);');
        await assert.rejects(migrate(sql, dir), /1101_t differs/);
        const later = await sql.query("SELECT 1 FROM schema_migrations WHERE version = 1103");
        assert.equal(later.length, 0, 'nothing is applied once an edit is detected');
      });

      test('rolls back a failing migration and records nothing for it', async () => {
        const dir = await migrationDir('failing', {
          '1201_ok.sql': 'CREATE TABLE mig_ok (a int);',
          '1202_bad.sql': 'CREATE TABLE mig_half (a int); SELECT no_such_function();',
        });
        await assert.rejects(migrate(sql, dir), /1202_bad failed/);
        const recorded = await sql.query<{ version: number }>(
          'SELECT version FROM schema_migrations WHERE version BETWEEN 1200 AND 1299 ORDER BY version',
        );
        assert.deepEqual(recorded.map((r) => Number(r.version)), [1201]);
        const half = await sql.query("SELECT 1 FROM information_schema.tables WHERE table_name = 'mig_half'");
        assert.equal(half.length, 0, 'the statement before the failure was rolled back too');
      });

      test('concurrent runs apply each file exactly once', async () => {
        const files: Record<string, string> = {};
        for (let i = 1; i <= 8; i++) files[`13${String(i).padStart(2, '0')}_c.sql`] = `CREATE TABLE mig_c${i} (a int);`;
        const dir = await migrationDir('concurrent', files);
        const runs = await Promise.all([migrate(sql, dir), migrate(sql, dir), migrate(sql, dir)]);
        assert.deepEqual(runs.flatMap((r) => r.applied).sort(), Object.keys(files).map((f) => f.slice(0, -4)).sort());
      });

      test('rejects a file that is not named NNNN_name.sql', async () => {
        const dir = await migrationDir('misnamed', { 'initial.sql': 'SELECT 1;' });
        await assert.rejects(migrate(sql, dir), /not named NNNN_name\.sql/);
      });
    });

    describe('transactions', () => {
      test('commits what the callback wrote when it resolves', async () => {
        const r = await sql.transaction(async (tx) => {
          await tx.query("INSERT INTO users (domain, username) VALUES ('tx-commit.example', 'kept')");
          return 42;
        });
        assert.equal(r, 42);
        assert.equal(await store.users.exists('kept', 'tx-commit.example'), true);
      });

      test('rolls back everything when the callback throws', async () => {
        await assert.rejects(
          sql.transaction(async (tx) => {
            await tx.query("INSERT INTO users (domain, username) VALUES ('tx-rollback.example', 'gone')");
            throw new Error('boom');
          }),
          /boom/,
        );
        assert.equal(await store.users.exists('gone', 'tx-rollback.example'), false);
      });

      test('rolls back when a statement inside fails', async () => {
        await assert.rejects(
          sql.transaction(async (tx) => {
            await tx.query("INSERT INTO users (domain, username) VALUES ('tx-fail.example', 'gone')");
            await tx.query("INSERT INTO users (domain, username) VALUES ('tx-fail.example', 'gone')");
          }),
        );
        assert.equal(await store.users.exists('gone', 'tx-fail.example'), false);
      });

      test('a nested transaction that throws rolls back only its own writes', async () => {
        await sql.transaction(async (tx) => {
          await tx.query("INSERT INTO users (domain, username) VALUES ('tx-nested.example', 'outer')");
          await assert.rejects(
            tx.transaction(async (inner) => {
              await inner.query("INSERT INTO users (domain, username) VALUES ('tx-nested.example', 'inner')");
              throw new Error('inner boom');
            }),
          );
        });
        assert.deepEqual(await store.users.list('tx-nested.example'), ['outer']);
      });
    });

    describe('users', () => {
      const d = 'users.example';

      test('creates an account once and refuses a duplicate', async () => {
        assert.equal(await store.users.exists('alice', d), false);
        assert.equal(await store.users.create('alice', d, [credential('SHA-1'), credential('SHA-256')]), true);
        assert.equal(await store.users.create('alice', d, [credential('SHA-512')]), false);
        assert.equal(await store.users.exists('alice', d), true);
        assert.deepEqual(await store.users.getCredential('alice', d, 'SHA-256'), credential('SHA-256'));
        assert.equal(await store.users.getCredential('alice', d, 'SHA-512'), null, 'the duplicate changed nothing');
      });

      test('the same username in another domain is another account', async () => {
        await store.users.create('same', 'one.example', []);
        assert.equal(await store.users.exists('same', 'two.example'), false);
      });

      test('setCredentials replaces every stored credential', async () => {
        await store.users.create('bob', d, [credential('SHA-1'), credential('SHA-256')]);
        assert.equal(await store.users.setCredentials('bob', d, [credential('SHA-256', 'new')]), true);
        assert.deepEqual(await store.users.getCredential('bob', d, 'SHA-256'), credential('SHA-256', 'new'));
        assert.equal(await store.users.getCredential('bob', d, 'SHA-1'), null);
      });

      test('setCredentials on an unknown account returns false', async () => {
        assert.equal(await store.users.setCredentials('nobody', d, [credential('SHA-256')]), false);
      });

      test('a create with two credentials for one hash stores no account', async () => {
        await assert.rejects(store.users.create('twice', d, [credential('SHA-256'), credential('SHA-256', 'b')]));
        assert.equal(await store.users.exists('twice', d), false);
      });

      test('the schema has no column that could hold a plaintext password', async () => {
        const cols = await sql.query<{ column_name: string }>(
          "SELECT column_name FROM information_schema.columns WHERE table_name IN ('users', 'scram_credentials')",
        );
        assert.ok(cols.length > 0);
        assert.equal(cols.filter((c) => /pass|plain/i.test(c.column_name)).length, 0);
      });

      test('deleting an account removes its credentials, roster, offline messages and login history', async () => {
        const dd = 'delete.example';
        await store.users.create('carol', dd, [credential('SHA-256')]);
        await store.users.create('dave', dd, []);
        await store.roster.upsert('carol@delete.example', item('dave@delete.example', { subscription: 'both' }));
        await store.roster.upsert('dave@delete.example', item('carol@delete.example', { subscription: 'both' }));
        await store.offline.push('carol@delete.example', '<message/>');
        await store.loginHistory.record('carol', dd, { ip: '192.0.2.1', client: null, resource: null, mechanism: 'SCRAM-SHA-256', success: true });

        assert.equal(await store.users.delete('carol', dd), true);
        assert.equal(await store.users.exists('carol', dd), false);
        assert.equal(await store.users.getCredential('carol', dd, 'SHA-256'), null);
        assert.deepEqual(await store.roster.get('carol@delete.example'), { version: 0, items: [] });
        assert.equal(await store.offline.count('carol@delete.example'), 0);
        assert.deepEqual(await store.loginHistory.recent('carol', dd), []);
        assert.equal((await store.roster.get('dave@delete.example')).items.length, 1, "other rosters are kept");
        assert.equal(await store.users.delete('carol', dd), false);
      });

      test('a re-created account starts with an empty roster whose version is higher than before', async () => {
        const dd = 'recreate.example';
        await store.users.create('erin', dd, []);
        const old = await store.roster.upsert('erin@recreate.example', item('x@recreate.example'));
        await store.users.delete('erin', dd);
        await store.users.create('erin', dd, []);
        assert.deepEqual(await store.roster.get('erin@recreate.example'), { version: 0, items: [] });
        assert.ok((await store.roster.upsert('erin@recreate.example', item('y@recreate.example'))) > old);
      });

      test('lists usernames in byte order with paging and counts per domain and in total', async () => {
        const dl = 'list.example';
        for (const u of ['mallory', 'Zed', 'bob', 'alice', 'émile']) await store.users.create(u, dl, []);
        await store.users.create('other', 'list-other.example', []);
        assert.deepEqual(await store.users.list(dl), ['Zed', 'alice', 'bob', 'mallory', 'émile']);
        assert.deepEqual(await store.users.list(dl, { limit: 2 }), ['Zed', 'alice']);
        assert.deepEqual(await store.users.list(dl, { limit: 2, after: 'alice' }), ['bob', 'mallory']);
        assert.deepEqual(await store.users.list(dl, { after: 'mallory' }), ['émile']);
        assert.deepEqual(await store.users.list('empty.example'), []);
        assert.equal(await store.users.count(dl), 5);
        const total = await store.users.count();
        assert.ok(total >= 6);
        await store.users.create('another', 'list-other.example', []);
        assert.equal(await store.users.count(), total + 1);
      });
    });

    describe('roster', () => {
      test('an untouched roster is empty at version 0', async () => {
        assert.deepEqual(await store.roster.get('nobody@roster.example'), { version: 0, items: [] });
        assert.equal(await store.roster.getItem('nobody@roster.example', 'x@roster.example'), null);
      });

      test('every change returns a higher version and get reports the latest', async () => {
        const o = 'versions@roster.example';
        const v1 = await store.roster.upsert(o, item('a@roster.example'));
        const v2 = await store.roster.upsert(o, item('b@roster.example', { name: 'Bee', groups: ['Friends', 'Work'] }));
        const v3 = await store.roster.upsert(o, item('a@roster.example', { subscription: 'to' }));
        const v4 = await store.roster.remove(o, 'b@roster.example');
        assert.ok(v1 > 0 && v2 > v1 && v3 > v2 && v4 !== null && v4 > v3, `${v1} < ${v2} < ${v3} < ${v4}`);
        const r = await store.roster.get(o);
        assert.equal(r.version, v4);
        assert.deepEqual(r.items, [item('a@roster.example', { subscription: 'to' })]);
      });

      test('upsert replaces every field of an existing item', async () => {
        const o = 'fields@roster.example';
        await store.roster.upsert(o, item('c@roster.example', { name: 'Old', ask: 'subscribe', groups: ['A'] }));
        const full = item('c@roster.example', {
          name: 'Cee',
          subscription: 'from',
          ask: null,
          pendingIn: true,
          approved: true,
          hidden: true,
          groups: ['B', 'C'],
        });
        await store.roster.upsert(o, full);
        assert.deepEqual(await store.roster.getItem(o, 'c@roster.example'), full);
      });

      test('removing an absent contact returns null and keeps the version', async () => {
        const o = 'absent@roster.example';
        const v = await store.roster.upsert(o, item('d@roster.example'));
        assert.equal(await store.roster.remove(o, 'nothere@roster.example'), null);
        assert.equal((await store.roster.get(o)).version, v);
      });

      test('subscribers and subscriptions follow the subscription state', async () => {
        const o = 'subs@roster.example';
        await store.roster.upsert(o, item('none@x.example', { subscription: 'none', ask: 'subscribe' }));
        await store.roster.upsert(o, item('to@x.example', { subscription: 'to' }));
        await store.roster.upsert(o, item('from@x.example', { subscription: 'from' }));
        await store.roster.upsert(o, item('both@x.example', { subscription: 'both' }));
        assert.deepEqual(await store.roster.subscribers(o), ['both@x.example', 'from@x.example']);
        assert.deepEqual(await store.roster.subscriptions(o), ['both@x.example', 'to@x.example']);
        await store.roster.upsert(o, item('from@x.example', { subscription: 'none' }));
        assert.deepEqual(await store.roster.subscribers(o), ['both@x.example']);
      });

      test('concurrent changes to one roster get distinct versions and the last one is reported', async () => {
        const o = 'race@roster.example';
        const versions = await Promise.all(
          Array.from({ length: 12 }, (_, i) => store.roster.upsert(o, item(`c${i}@roster.example`))),
        );
        assert.equal(new Set(versions).size, versions.length);
        const r = await store.roster.get(o);
        assert.equal(r.version, Math.max(...versions));
        assert.equal(r.items.length, 12);
      });
    });

    describe('offline messages', () => {
      test('pops messages and subscription requests in insertion order and leaves none behind', async () => {
        const o = 'order@offline.example';
        const stanzas = ['<message id="1"/>', '<presence type="subscribe" from="x@y"/>', '<message id="3"/>'];
        for (const s of stanzas) assert.equal(await store.offline.push(o, s), 'stored');
        await store.offline.push('someone-else@offline.example', '<message id="other"/>');
        assert.equal(await store.offline.count(o), 3);
        const popped = await store.offline.pop(o);
        assert.deepEqual(
          popped.map((m) => m.stanza),
          stanzas,
        );
        assert.ok(popped.every((m) => m.owner === o && m.createdAt instanceof Date && typeof m.id === 'string'));
        assert.equal(new Set(popped.map((m) => m.id)).size, 3);
        assert.deepEqual(await store.offline.pop(o), []);
        assert.equal(await store.offline.count('someone-else@offline.example'), 1);
      });

      test('refuses pushes over the quota until messages are popped', async () => {
        const o = 'quota@offline.example';
        for (let i = 0; i < 3; i++) assert.equal(await store.offline.push(o, `<m${i}/>`, { maxPerUser: 3 }), 'stored');
        assert.equal(await store.offline.push(o, '<m3/>', { maxPerUser: 3 }), 'quota-exceeded');
        assert.equal(await store.offline.count(o), 3);
        await store.offline.pop(o);
        assert.equal(await store.offline.push(o, '<m4/>', { maxPerUser: 3 }), 'stored');
      });

      test('the default quota is 1000 messages', async () => {
        const o = 'default-quota@offline.example';
        await sql.query("INSERT INTO offline_messages (owner, stanza) SELECT $1, '<m/>' FROM generate_series(1, 999)", [o]);
        assert.equal(await store.offline.push(o, '<m/>'), 'stored');
        assert.equal(await store.offline.push(o, '<m/>'), 'quota-exceeded');
        assert.equal(await store.offline.count(o), 1000);
      });

      test('concurrent pushes never overshoot the quota', async () => {
        const o = 'quota-race@offline.example';
        const results = await Promise.all(
          Array.from({ length: 12 }, (_, i) => store.offline.push(o, `<m${i}/>`, { maxPerUser: 5 })),
        );
        assert.equal(results.filter((r) => r === 'stored').length, 5);
        assert.equal(await store.offline.count(o), 5);
      });

      test('two concurrent pops deliver each message exactly once', async () => {
        const o = 'pop-race@offline.example';
        for (let round = 0; round < 5; round++) {
          const sent = Array.from({ length: 20 }, (_, i) => `<message id="${round}-${i}"/>`);
          for (const s of sent) await store.offline.push(o, s);
          const [a, b] = await Promise.all([store.offline.pop(o), store.offline.pop(o)]);
          const got = [...a, ...b].map((m) => m.stanza);
          assert.deepEqual(got.sort(), [...sent].sort(), `round ${round}: each message once`);
          assert.equal(await store.offline.count(o), 0);
        }
      });
    });

    describe('login history', () => {
      const d = 'logins.example';
      const base = { client: 'Gajim', resource: 'laptop', mechanism: 'SCRAM-SHA-256' };

      test('returns logins newest first, limited', async () => {
        await store.users.create('frank', d, []);
        const t0 = Date.parse('2024-01-01T00:00:00Z');
        for (let i = 0; i < 4; i++) {
          await store.loginHistory.record('frank', d, { ...base, ip: `192.0.2.${i}`, success: true, at: new Date(t0 + i * 60_000) });
        }
        const recent = await store.loginHistory.recent('frank', d, 3);
        assert.deepEqual(
          recent.map((r) => r.ip),
          ['192.0.2.3', '192.0.2.2', '192.0.2.1'],
        );
        assert.deepEqual(recent[0], { ...base, ip: '192.0.2.3', success: true, reason: null, at: new Date(t0 + 3 * 60_000) });
      });

      test('stores the time of recording when none is given and keeps null fields', async () => {
        await store.users.create('gina', d, []);
        const before = Date.now();
        await store.loginHistory.record('gina', d, { ip: '::1', client: null, resource: null, mechanism: 'PLAIN', success: false });
        const [r] = await store.loginHistory.recent('gina', d);
        assert.ok(r);
        assert.equal(r.client, null);
        assert.equal(r.resource, null);
        assert.equal(r.success, false);
        // Allow for clock skew between this process and a database server on another host.
        assert.ok(Math.abs(r.at.getTime() - before) < 60_000);
      });

      test('knownIp is true only for an earlier successful login from that address', async () => {
        await store.users.create('hank', d, []);
        assert.equal(await store.loginHistory.knownIp('hank', d, '198.51.100.7'), false);
        await store.loginHistory.record('hank', d, { ...base, ip: '198.51.100.7', success: false });
        assert.equal(await store.loginHistory.knownIp('hank', d, '198.51.100.7'), false, 'a failed attempt does not count');
        await store.loginHistory.record('hank', d, { ...base, ip: '198.51.100.7', success: true });
        assert.equal(await store.loginHistory.knownIp('hank', d, '198.51.100.7'), true);
        assert.equal(await store.loginHistory.knownIp('hank', d, '198.51.100.8'), false);
        assert.equal(await store.loginHistory.knownIp('frank', d, '198.51.100.7'), false, 'per account');
      });

      test('ignores logins of unknown accounts without failing', async () => {
        await store.loginHistory.record('ghost', d, { ...base, ip: '203.0.113.9', success: false });
        assert.deepEqual(await store.loginHistory.recent('ghost', d), []);
      });

      test('known lists the addresses and client keys of successful sign-ins only', async () => {
        await store.users.create('ivy', d, []);
        await store.loginHistory.record('ivy', d, { ...base, ip: '198.51.100.1', success: true, clientKey: 'uuid-1' });
        await store.loginHistory.record('ivy', d, { ...base, ip: '198.51.100.1', success: true, clientKey: null });
        await store.loginHistory.record('ivy', d, { ...base, ip: '198.51.100.2', success: false, reason: 'not-authorized', clientKey: 'uuid-2' });
        const known = await store.loginHistory.known('ivy', d);
        assert.deepEqual(known, { ips: ['198.51.100.1'], clientKeys: ['uuid-1'] });
        const [failed] = await store.loginHistory.recent('ivy', d, 1);
        assert.equal(failed?.reason, 'not-authorized');
      });

      test('sweep deletes records older than the cut-off only', async () => {
        await store.users.create('jack', d, []);
        await store.loginHistory.record('jack', d, { ...base, ip: '192.0.2.1', success: true, at: new Date('2000-01-01T00:00:00Z') });
        await store.loginHistory.record('jack', d, { ...base, ip: '192.0.2.2', success: true });
        assert.ok((await store.loginHistory.sweep(new Date('2001-01-01T00:00:00Z'))) >= 1);
        assert.deepEqual((await store.loginHistory.recent('jack', d)).map((r) => r.ip), ['192.0.2.2']);
      });

      test('sign-in settings default to null, are set field by field, and not for unknown accounts', async () => {
        await store.users.create('kim', d, []);
        assert.deepEqual(await store.loginHistory.settings('kim', d), { multiLogin: null, idleTimeoutSec: null });
        assert.equal(await store.loginHistory.setSettings('kim', d, { multiLogin: 'refuse' }), true);
        assert.equal(await store.loginHistory.setSettings('kim', d, { idleTimeoutSec: 600 }), true);
        assert.deepEqual(await store.loginHistory.settings('kim', d), { multiLogin: 'refuse', idleTimeoutSec: 600 });
        assert.equal(await store.loginHistory.setSettings('kim', d, { multiLogin: null }), true);
        assert.deepEqual(await store.loginHistory.settings('kim', d), { multiLogin: null, idleTimeoutSec: 600 });
        assert.equal(await store.loginHistory.setSettings('nobody', d, { multiLogin: 'alert' }), false);
      });

      test('kept alerts are taken once, oldest first, at most `keep` of them', async () => {
        await store.users.create('lea', d, []);
        for (const n of [1, 2, 3]) await store.loginHistory.keepAlert('lea', d, `alert ${n}`, 2);
        await store.loginHistory.keepAlert('nobody', d, 'lost', 2);
        assert.deepEqual(await store.loginHistory.takeAlerts('lea', d), ['alert 2', 'alert 3']);
        assert.deepEqual(await store.loginHistory.takeAlerts('lea', d), []);
      });
    });
  });
}
