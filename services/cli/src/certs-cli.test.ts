// An operator makes the client CA, issues, lists and revokes certificates with the parley command
// (docs/certificates.md), on the database of a server that is not running (Postgres in a schema of its
// own: opening PGlite in each command process would cost seconds apiece).
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { silentLogger } from '@parley/log';
import { xmppAddrsOf } from '@parley/pki';
import { randomBytes } from 'node:crypto';
import { createStore, DEFAULT_TEST_DATABASE_URL, migrate, openPostgres, openScratchPostgres } from '@parley/store';
import { parleyCli as parley } from '../../../tests/harness/cli.ts';
import { caInit, issue, list, revoke } from './certs.ts';

test('parley cert ca init, issue, list and revoke on the data directory', { timeout: 300_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'parley-cli-certs-'));
  const url = process.env.PARLEY_TEST_DATABASE_URL ?? DEFAULT_TEST_DATABASE_URL;
  const schema = `parley_certs_${randomBytes(6).toString('hex')}`;
  const env = { PARLEY_DATA_DIR: dir, PARLEY_DATABASE_URL: url, PARLEY_DATABASE_SCHEMA: schema, PARLEY_CERT_CA_PASSPHRASE: 'correct horse' };
  const sql = await openPostgres(url, { schema, max: 1 });
  try {
    await migrate(sql);
    await createStore(sql).users.create('alice', 'localhost', []);
    const init = await parley(['cert', 'ca', 'init'], env);
    assert.equal(init.code, 0, init.stderr);
    assert.match(init.stdout, /^created the client CA of localhost \(key encrypted with PARLEY_CERT_CA_PASSPHRASE\)\n-----BEGIN CERTIFICATE-----/);
    const out = join(dir, 'issued');
    const issued = await parley(['cert', 'issue', 'alice@localhost', '--days', '7', '--name', 'laptop', '--out', out], env);
    assert.equal(issued.code, 0, issued.stderr);
    const cert = new X509Certificate(readFileSync(join(out, 'alice@localhost.crt')));
    assert.deepEqual(xmppAddrsOf(cert.raw), ['alice@localhost']);
    assert.equal(statSync(join(out, 'alice@localhost.key')).mode & 0o777, 0o600);
    assert.ok(issued.stdout.includes(`fingerprint ${cert.fingerprint256}`), issued.stdout);
    const listed = await parley(['cert', 'list', 'alice'], env);
    assert.match(listed.stdout, new RegExp(`^${cert.fingerprint256}  active    issued      until \\S+  laptop$`, 'm'));
    const revoked = await parley(['cert', 'revoke', 'alice@localhost', 'laptop'], env);
    assert.equal(revoked.code, 0, revoked.stderr);
    assert.match(revoked.stdout, /^revoked \S+ of alice@localhost \(no bus reachable/);
    assert.equal((await createStore(sql).clientCerts.byFingerprint(cert.fingerprint256))?.state, 'revoked');
  } finally {
    await sql.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await sql.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the commands refuse an unknown account, issuing before the CA exists, and keep an existing CA', async () => {
  const sql = await openScratchPostgres();
  await migrate(sql);
  const store = createStore(sql);
  const config = { domain: 'localhost', certDays: 30, certCaPassphrase: null };
  try {
    await store.users.create('bob', 'localhost', []);
    await assert.rejects(issue(store, config, silentLogger, 'bob', {}), /no client CA yet: run "parley cert ca init" first/);
    const first = await caInit(store, config, silentLogger, false);
    const second = await caInit(store, config, silentLogger, false);
    assert.deepEqual([first.created, second.created, second.certPem === first.certPem], [true, false, true]);
    await assert.rejects(issue(store, config, silentLogger, 'nobody@localhost', {}), /no account nobody@localhost/);
    await assert.rejects(list(store, config, 'bob@elsewhere.example'), /not on this server's domain/);
    await assert.rejects(revoke(store, config, silentLogger, 'bob', 'AA:BB', null), /has no active or disabled certificate/);
    const r = await issue(store, config, silentLogger, 'bob', { name: 'phone' });
    assert.equal((await list(store, config, 'bob')).certs[0]?.state, 'active');
    await revoke(store, config, silentLogger, 'bob', r.fingerprint.toLowerCase(), null);
    assert.equal((await list(store, config, 'bob')).certs[0]?.state, 'revoked');
    await assert.rejects(revoke(store, config, silentLogger, 'bob', 'phone', null), /has no active or disabled certificate named or with fingerprint "phone"/);
    // A CA key encrypted with a passphrase signs only with it.
    const locked = { domain: 'locked.example', certDays: 30, certCaPassphrase: 'correct horse' };
    await store.users.create('cat', 'locked.example', []);
    await caInit(store, locked, silentLogger, false);
    await assert.rejects(issue(store, { ...locked, certCaPassphrase: 'wrong horse!' }, silentLogger, 'cat', {}), /cannot be read \(wrong PARLEY_CERT_CA_PASSPHRASE\?\)/);
  } finally {
    await store.close();
  }
});

test('an unknown cert subcommand is a usage message (exit 1)', async () => {
  const r = await parley(['cert', 'burn'], {});
  assert.equal(r.code, 1);
  assert.match(r.stderr, /use ca init, issue, list or revoke/);
});
