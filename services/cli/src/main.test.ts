// The parley command as a person meets it: the help lists every setting, a wrong one is one line and exit 2.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { describeSettings, formatDefault } from '@parley/config';
import { DEFAULT_TEST_DATABASE_URL, openPostgres } from '@parley/store';
import { parleyCli as parley } from '../../../tests/harness/cli.ts';



test('parley --help and parley start --help list every setting with its variable, default and description', async () => {
  for (const args of [['--help'], ['start', '--help']]) {
    const r = await parley(args);
    assert.equal(r.code, 0, r.stderr);
    for (const s of describeSettings()) {
      const line = r.stdout.split('\n').find((l) => l.startsWith(`  ${s.env} `));
      assert.ok(line?.endsWith(`default ${formatDefault(s.def)}`), `${args.join(' ')}: ${s.env}`);
      assert.ok(r.stdout.includes(`${line}\n      ${s.description}\n`), s.env);
    }
  }
});

test('a wrong setting is one line naming it, and exit code 2', async () => {
  const r = await parley(['user', 'list'], { PARLEY_C2S_PORT: 'abc' });
  assert.equal(r.code, 2);
  assert.equal(r.stderr, 'parley: PARLEY_C2S_PORT: must be a port number 0-65535, got "abc"\n');
  assert.equal(r.stdout, '');
});

test('an unknown key in the YAML file is one line naming the file and key, and exit code 2', async () => {
  const file = join(mkdtempSync(join(tmpdir(), 'parley-cli-')), 'parley.yaml');
  writeFileSync(file, 'c2sprot: 5222\n');
  const r = await parley(['user', 'list'], { PARLEY_CONFIG: file });
  assert.equal(r.code, 2);
  assert.match(r.stderr, new RegExp(`^parley: ${file}: c2sprot: unknown setting \\(known: domain, dataDir, .*\\)\\n$`));
});

test('parley user add refuses a look-alike of an existing account, and parley invite creates, lists and revokes invitations', { timeout: 300_000 }, async (t) => {
  // On Postgres (a scratch schema): each command opens the database, and PGlite takes seconds to start.
  const schema = `parley_cli_${randomBytes(4).toString('hex')}`;
  const databaseUrl = process.env.PARLEY_TEST_DATABASE_URL ?? DEFAULT_TEST_DATABASE_URL;
  const env = { PARLEY_DATA_DIR: mkdtempSync(join(tmpdir(), 'parley-cli-')), PARLEY_DATABASE_URL: databaseUrl, PARLEY_DATABASE_SCHEMA: schema, PARLEY_SCRAM_ITERATIONS: '4096', PARLEY_LOG_LEVEL: 'warn' };
  t.after(async () => {
    const sql = await openPostgres(databaseUrl);
    await sql.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await sql.close();
  });
  assert.equal((await parley(['user', 'add', 'paypal', '--password', 'pw-1'], env)).code, 0);
  const impostor = await parley(['user', 'add', 'paypa1', '--password', 'pw-2'], env);
  assert.equal(impostor.code, 1);
  assert.equal(impostor.stderr, 'parley: paypa1@localhost looks like the existing account paypal@localhost (Unicode confusables, UTS #39); choose another name\n');

  const created = await parley(['invite', 'create', 'paypal@localhost', '--ttl', '2h'], env);
  assert.equal(created.code, 0, created.stderr);
  assert.match(created.stdout, /^xmpp:paypal@localhost\?roster;preauth=[A-Za-z0-9_-]{22}\n$/);
  const id = /invitation ([0-9a-f]{16})/.exec(created.stderr)?.[1];
  assert.ok(id, created.stderr);
  const listed = await parley(['invite', 'list'], env);
  assert.match(listed.stdout, new RegExp(`^${id}  open     paypal@localhost  until `));
  assert.ok(!listed.stdout.includes(created.stdout.split('preauth=')[1]!.trim()), 'the token is never listed');
  assert.equal((await parley(['invite', 'revoke', id], env)).stdout, `revoked ${id}\n`);
  const again = await parley(['invite', 'revoke', id], env);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /no open invitation/);
  // Account invitations (in-band registration): an administrator's, and one from a user.
  const account = await parley(['invite', 'create', '--account'], env);
  assert.equal(account.code, 0, account.stderr);
  assert.match(account.stdout, /^xmpp:localhost\?register;preauth=[A-Za-z0-9_-]{22}\n$/);
  const fromUser = await parley(['invite', 'create', '--account', 'paypal'], env);
  assert.match(fromUser.stdout, /^xmpp:paypal@localhost\?roster;preauth=[A-Za-z0-9_-]{22};ibr=y\n$/);
  assert.equal((await parley(['invite', 'create'], env)).code, 2, 'neither an inviter nor --account');
  const badTtl = await parley(['invite', 'create', 'paypal', '--ttl', 'forever'], env);
  assert.equal(badTtl.code, 1);
  assert.equal(badTtl.stderr, 'parley: --ttl must be a number with m, h or d, e.g. 7d (got "forever")\n');
});
