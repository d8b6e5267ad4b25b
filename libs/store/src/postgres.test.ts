import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runAccountContract } from './contract-accounts.ts';
import { runChallengeContract } from './contract-challenges.ts';
import { runStoreContract } from './contract.ts';
import { runArchiveContract } from './contract-archive.ts';
import { runMucContract } from './contract-muc.ts';
import { runPrivacyContract } from './contract-privacy.ts';
import { runFastTokenContract } from './contract-fast.ts';
import { runClientCertContract } from './contract-client-certs.ts';
import { runPushContract } from './contract-push.ts';
import { runProfileContract } from './contract-profile.ts';
import { runPepContract } from './contract-pep.ts';
import { DEFAULT_TEST_DATABASE_URL, openPostgres, openScratchPostgres } from './index.ts';

// Needs a reachable Postgres (PARLEY_TEST_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/test);
// when there is none the suite fails with the address and the cause, it never skips.
runStoreContract('Postgres', () => openScratchPostgres());

test('an unreachable server is reported with its address and no password', async () => {
  await assert.rejects(openPostgres('postgres://someone:s3cret@127.0.0.1:1/none'), (err: Error) => {
    assert.match(err.message, /cannot use Postgres at postgres:\/\/someone:\*\*\*@127\.0\.0\.1:1\/none/);
    assert.doesNotMatch(err.message, /s3cret/);
    return true;
  });
});

test('a scratch schema is dropped when its handle is closed', async () => {
  const scratch = await openScratchPostgres();
  const [row] = await scratch.query<{ schema: string }>('SELECT current_schema() AS schema');
  assert.ok(row);
  const schema = row.schema;
  assert.match(schema, /^parley_test_[0-9a-f]{12}$/);
  await scratch.close();
  const admin = await openPostgres(process.env.PARLEY_TEST_DATABASE_URL ?? DEFAULT_TEST_DATABASE_URL);
  try {
    assert.equal((await admin.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema])).length, 0);
  } finally {
    await admin.close();
  }
});

test('openPostgres refuses a schema name that is not a plain identifier', async () => {
  await assert.rejects(openPostgres(DEFAULT_TEST_DATABASE_URL, { schema: 'x; DROP TABLE y' }), /invalid schema name/);
});

runAccountContract('Postgres', () => openScratchPostgres());
runPrivacyContract('Postgres', () => openScratchPostgres());
runProfileContract('Postgres', () => openScratchPostgres());
runArchiveContract('Postgres', () => openScratchPostgres());
runFastTokenContract('Postgres', () => openScratchPostgres());
runClientCertContract('Postgres', () => openScratchPostgres());
runPushContract('Postgres', () => openScratchPostgres());
runPepContract('Postgres', () => openScratchPostgres());
runMucContract('Postgres', () => openScratchPostgres());

runChallengeContract('Postgres', () => openScratchPostgres());
