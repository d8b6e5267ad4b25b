// An operator registers, lists and removes external components (XEP-0114) with the parley command;
// the secret is stored sealed, never in clear.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { serverKeys } from '@parley/s2s';
import { componentRepo, migrate, openPglite } from '@parley/store';
import { parleyCli as parley } from '../../../tests/harness/cli.ts';

test('parley component add shows a generated secret once, stores it sealed; list shows it; bad input gets a clear message', { timeout: 300_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'parley-cli-component-'));
  const env = { PARLEY_DATA_DIR: dir };
  try {
    const added = await parley(['component', 'add', 'gw.localhost'], env);
    assert.equal(added.code, 0, added.stderr);
    const secret = /secret \(shown only now\): (\S+)/.exec(added.stdout)?.[1];
    assert.ok(secret && secret.length >= 16, added.stdout);

    const again = await parley(['component', 'add', 'localhost', '--secret', 'x'.repeat(20)], env);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /localhost is served by this server itself/);

    const list = await parley(['component', 'list'], env);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /^gw\.localhost {2}registered /m);

    const sql = await openPglite(join(dir, 'db'));
    try {
      await migrate(sql);
      const sealed = await componentRepo(sql).sealed('gw.localhost');
      assert.ok(sealed && !sealed.includes(secret), 'the secret is not stored in clear');
      const keys = serverKeys({ serverSecret: null, dataDir: dir });
      assert.equal(keys.open('gw.localhost', sealed), secret, 'it opens with the server secret');
      assert.equal(keys.open('other.localhost', sealed), null, 'and only for its own domain');
      assert.equal(await componentRepo(sql).del('gw.localhost'), true);
    } finally {
      await sql.close();
    }
    const gone = await parley(['component', 'del', 'gw.localhost'], env);
    assert.equal(gone.code, 1);
    assert.match(gone.stderr, /no component gw\.localhost is registered/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
