// An operator lists and revokes an account's FAST sign-in tokens (XEP-0484) with the parley command.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { auditLog } from '@parley/admin';
import { silentLogger } from '@parley/log';
import { deriveAllCredentials } from '@parley/sasl';
import { createStore, defaultMigrationsDir, migrate, openPglite, type Store } from '@parley/store';
import { auditedCommands } from './audited.ts';
import { parleyCli as parley } from '../../../tests/harness/cli.ts';



async function withStore<T>(dir: string, fn: (s: Store) => Promise<T>): Promise<T> {
  const sql = await openPglite(join(dir, 'db'));
  await migrate(sql);
  const store = createStore(sql);
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

const issue = (s: Store, client: string) =>
  s.fastTokens.issue('alice', 'localhost', { clientId: client, hash: `h-${client}`, mechanism: 'HT-SHA-256-NONE', expiresAt: new Date(Date.now() + 3600_000), userAgent: `App [${client}]` }, 10);

test('parley user tokens list shows each client without secrets, and revoke drops them', { timeout: 300_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'parley-cli-fast-'));
  const env = { PARLEY_DATA_DIR: dir };
  try {
    await withStore(dir, async (s) => {
      await s.users.create('alice', 'localhost', await deriveAllCredentials('pw', 4096));
      await issue(s, 'phone-1');
      await issue(s, 'laptop-2');
    });
    const list = await parley(['user', 'tokens', 'list', 'alice@localhost'], env);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /^phone-1 {2}HT-SHA-256-NONE {2}new {6}expires \S+ {2}App \[phone-1\]$/m);
    assert.match(list.stdout, /^laptop-2 /m);
    assert.doesNotMatch(list.stdout, /h-phone/, 'never the hash');
    const revoke = await parley(['user', 'tokens', 'revoke', 'alice'], env);
    assert.equal(revoke.stdout, 'revoked 2 FAST token(s) of alice@localhost\n', revoke.stderr);
    assert.deepEqual(await withStore(dir, (s) => s.fastTokens.list('alice', 'localhost')), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the CLI commands revoke one client, are audited, and refuse an unknown account', async () => {
  const sql = await openPglite(null, { migratedFrom: defaultMigrationsDir });
  await migrate(sql);
  const store = createStore(sql);
  try {
    await store.users.create('alice', 'localhost', await deriveAllCredentials('pw', 4096));
    await issue(store, 'phone-1');
    await issue(store, 'laptop-2');
    const cmd = auditedCommands(store, { domain: 'localhost', scramIterations: 4096 }, silentLogger);
    assert.deepEqual(await cmd.revokeFastTokens('alice@localhost', 'phone-1'), { jid: 'alice@localhost', revoked: 1 });
    assert.deepEqual((await cmd.listFastTokens('alice')).tokens.map((t) => t.client), ['laptop-2']);
    const [entry] = await auditLog(sql, silentLogger).list({ limit: 1 });
    assert.deepEqual([entry?.action, entry?.target, entry?.detail], ['user.fast-tokens.revoke', 'alice@localhost', { revoked: 1, client: 'phone-1' }]);
    await assert.rejects(cmd.revokeFastTokens('nobody'), /nobody@localhost does not exist/);
  } finally {
    await store.close();
  }
});

test('an unknown tokens subcommand is a usage error (exit 2)', async () => {
  const r = await parley(['user', 'tokens', 'burn', 'alice'], {});
  assert.equal(r.code, 2);
  assert.match(r.stderr, /parley user tokens list <jid>/);
});
