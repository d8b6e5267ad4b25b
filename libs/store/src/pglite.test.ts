import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { runAccountContract } from './contract-accounts.ts';
import { runChallengeContract } from './contract-challenges.ts';
import { credential, repositoryMigrations, runStoreContract } from './contract.ts';
import { runArchiveContract } from './contract-archive.ts';
import { runMucContract } from './contract-muc.ts';
import { runPrivacyContract } from './contract-privacy.ts';
import { runFastTokenContract } from './contract-fast.ts';
import { runClientCertContract } from './contract-client-certs.ts';
import { runPushContract } from './contract-push.ts';
import { runProfileContract } from './contract-profile.ts';
import { runPepContract } from './contract-pep.ts';
import { createStore, defaultMigrationsDir, migrate, openPglite } from './index.ts';
import { migrationsKey } from './migrate.ts';

// The store contract applies the migrations itself; the others start from a migrated copy.
runStoreContract('PGlite in memory', () => openPglite(null));
const migrated = () => openPglite(null, { migratedFrom: defaultMigrationsDir });

test('an in-memory database opened from the migrated copy has exactly the repository migrations applied', async () => {
  const repo = createStore(await openPglite(null, { migratedFrom: defaultMigrationsDir }));
  try {
    const recorded = await repo.sql.query<{ name: string }>('SELECT name FROM schema_migrations ORDER BY version');
    assert.deepEqual(recorded.map((r) => r.name), repositoryMigrations());
    assert.deepEqual(await migrate(repo.sql), { applied: [], lookalikes: [] });
    assert.equal(await repo.users.create('alice', 'copy.example', [credential('SHA-256')]), true);
  } finally {
    await repo.close();
  }
});

test('the key of the migrated copy changes with any migration file’s name or contents', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'parley-migrations-key-'));
  try {
    await writeFile(join(dir, '0001_one.sql'), 'CREATE TABLE one (id int);');
    const first = await migrationsKey(dir);
    assert.equal(await migrationsKey(dir), first, 'the same files, the same key');
    await writeFile(join(dir, '0001_one.sql'), 'CREATE TABLE one (id bigint);');
    const edited = await migrationsKey(dir);
    assert.notEqual(edited, first);
    await writeFile(join(dir, '0002_two.sql'), 'CREATE TABLE two (id int);');
    assert.notEqual(await migrationsKey(dir), edited);
    assert.notEqual(await migrationsKey(defaultMigrationsDir), edited);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a PGlite data directory is created with its parents and keeps its data across close and reopen', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'parley-pglite-'));
  try {
    const first = createStore(await openPglite(join(dir, 'nested', 'db')));
    assert.deepEqual(await migrate(first.sql), { applied: repositoryMigrations(), lookalikes: [] });
    await first.users.create('alice', 'persist.example', [credential('SHA-256')]);
    await first.offline.push('alice@persist.example', '<message id="kept"/>');
    await first.close();

    const second = createStore(await openPglite(join(dir, 'nested', 'db')));
    try {
      assert.deepEqual(await migrate(second.sql), { applied: [], lookalikes: [] });
      assert.deepEqual(await second.users.getCredential('alice', 'persist.example', 'SHA-256'), credential('SHA-256'));
      assert.deepEqual(
        (await second.offline.pop('alice@persist.example')).map((m) => m.stanza),
        ['<message id="kept"/>'],
      );
    } finally {
      await second.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

runAccountContract('PGlite in memory', migrated);
runPrivacyContract('PGlite in memory', migrated);
runProfileContract('PGlite in memory', migrated);
runArchiveContract('PGlite in memory', migrated);
runFastTokenContract('PGlite in memory', migrated);
runClientCertContract('PGlite in memory', migrated);
runPushContract('PGlite in memory', migrated);
runPepContract('PGlite in memory', migrated);
runMucContract('PGlite in memory', migrated);

runChallengeContract('PGlite in memory', migrated);
