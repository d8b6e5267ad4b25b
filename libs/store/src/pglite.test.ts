import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
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
import { createStore, migrate, openPglite } from './index.ts';

runStoreContract('PGlite in memory', () => openPglite(null));

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

runAccountContract('PGlite in memory', () => openPglite(null));
runPrivacyContract('PGlite in memory', () => openPglite(null));
runProfileContract('PGlite in memory', () => openPglite(null));
runArchiveContract('PGlite in memory', () => openPglite(null));
runFastTokenContract('PGlite in memory', () => openPglite(null));
runClientCertContract('PGlite in memory', () => openPglite(null));
runPushContract('PGlite in memory', () => openPglite(null));
runPepContract('PGlite in memory', () => openPglite(null));
runMucContract('PGlite in memory', () => openPglite(null));

runChallengeContract('PGlite in memory', () => openPglite(null));
