import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ConfigError, loadConfig } from './index.ts';

test('defaults match the documented ports and domain', () => {
  const c = loadConfig({});
  assert.equal(c.domain, 'localhost');
  assert.equal(c.c2sPort, 5222);
  assert.equal(c.c2sTlsPort, 5223);
  assert.equal(c.httpPort, 5280);
  assert.equal(c.requireTls, true);
  assert.ok(c.scramIterations >= 10000);
});

test('environment overrides the YAML file which overrides defaults', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
  const file = join(dir, 'parley.yaml');
  writeFileSync(file, 'domain: example.org\nc2sPort: 15222\n');
  const c = loadConfig({ PARLEY_CONFIG: file, PARLEY_C2S_PORT: '25222' });
  assert.equal(c.domain, 'example.org');
  assert.equal(c.c2sPort, 25222);
});

test('a wrong setting names the variable', () => {
  assert.throws(() => loadConfig({ PARLEY_C2S_PORT: 'abc' }), (e) => e instanceof ConfigError && e.setting === 'PARLEY_C2S_PORT');
  assert.throws(() => loadConfig({ PARLEY_DOMAIN: 'bad domain!' }), (e) => e instanceof ConfigError && e.setting === 'PARLEY_DOMAIN');
  assert.throws(() => loadConfig({ PARLEY_TLS_CERT: '/x.pem' }), (e) => e instanceof ConfigError && e.setting === 'PARLEY_TLS_KEY');
  assert.throws(() => loadConfig({ PARLEY_LOG_LEVEL: 'loud' }), /PARLEY_LOG_LEVEL/);
});

test('an unknown key in the YAML file is refused by name', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
  const file = join(dir, 'p.yaml');
  writeFileSync(file, 'c2sprot: 1\n');
  assert.throws(() => loadConfig({ PARLEY_CONFIG: file }), /c2sprot: unknown setting/);
});

test('the admin API listens on 9090 over HTTPS by default, and its settings are checked', () => {
  const c = loadConfig({});
  assert.deepEqual([c.adminPort, c.adminBindAddress, c.adminTls], [9090, null, true]);
  const set = loadConfig({ PARLEY_ADMIN_PORT: '0', PARLEY_ADMIN_BIND_ADDRESS: '127.0.0.1', PARLEY_ADMIN_TLS: 'false' });
  assert.deepEqual([set.adminPort, set.adminBindAddress, set.adminTls], [0, '127.0.0.1', false]);
  assert.throws(() => loadConfig({ PARLEY_ADMIN_PORT: '70000' }), (e) => e instanceof ConfigError && e.setting === 'PARLEY_ADMIN_PORT');
  assert.throws(() => loadConfig({ PARLEY_ADMIN_TLS: 'maybe' }), (e) => e instanceof ConfigError && e.setting === 'PARLEY_ADMIN_TLS');
});
