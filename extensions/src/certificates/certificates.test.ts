// The certificates module on its own: when EXTERNAL is offered, what an attempt answers (XEP-0178 §2,
// RFC 6120 §6.5), through loadModules with a real store.
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { after, before, test } from 'node:test';
import { loadModules, type SaslMechanismContext } from '@parley/ext';
import { silentLogger } from '@parley/log';
import { createClientCa, issueClientCert } from '@parley/pki';
import { createStore, defaultMigrationsDir, migrate, openPglite, type Store } from '@parley/store';
import { commandRegistry } from '../adhoc/index.ts';
import { certificateAccounts, NS_SASLCERT } from './index.ts';

const d = 'certs.example';
let store: Store;
const loaded = loadModules([certificateAccounts({ commands: commandRegistry(), enabled: true, days: 30, passphrase: null })]);
const external = loaded.edge.saslMechanisms().find((m) => m.name === 'EXTERNAL')!;
const log = silentLogger;

before(async () => {
  const sql = await openPglite(null, { migratedFrom: defaultMigrationsDir });
  await migrate(sql);
  store = createStore(sql);
  await store.users.create('ann', d, []);
  await store.users.create('bob', d, []);
});
after(() => store.close());

const ctx = (der: Buffer | null, secure = true): SaslMechanismContext => ({ domain: d, secure, clientCertificate: der, store, log });

async function recorded(user: string, name: string) {
  if (!(await store.clientCerts.ca(d))) await store.clientCerts.setCa(d, await createClientCa(d, { days: 30, passphrase: null }), false);
  const ca = (await store.clientCerts.ca(d))!;
  const c = await issueClientCert(ca, `${user}@${d}`, { days: 30, passphrase: null });
  await store.clientCerts.add(user, d, { fingerprint: c.fingerprint, name, certPem: c.certPem, source: 'issued', manage: true, notAfter: c.notAfter });
  return new X509Certificate(c.certPem).raw;
}

test('EXTERNAL is offered only over TLS for a recorded, active certificate', async () => {
  const der = await recorded('ann', 'a');
  assert.equal(await external.offered(ctx(der)), true);
  assert.equal(await external.offered(ctx(der, false)), false);
  assert.equal(await external.offered(ctx(null)), false);
  const stranger = await issueClientCert(await createClientCa(d, { days: 30, passphrase: null }), `ann@${d}`, { days: 30, passphrase: null });
  assert.equal(await external.offered(ctx(new X509Certificate(stranger.certPem).raw)), false);
});

test('an empty authzid signs in as the account the certificate belongs to, naming the certificate', async () => {
  const der = await recorded('ann', 'b');
  const step = await external.session(ctx(der)).start(Buffer.alloc(0));
  assert.deepEqual(step, { kind: 'success', username: 'ann', credential: new X509Certificate(der).fingerprint256 });
  const named = await external.session(ctx(der)).start(Buffer.from(`ann@${d}`));
  assert.equal(named.kind, 'success');
});

test("another account's JID as authzid is invalid-authzid; no initial response is asked for", async () => {
  const der = await recorded('ann', 'c');
  const s = external.session(ctx(der));
  assert.deepEqual(await s.start(null), { kind: 'challenge', data: Buffer.alloc(0) });
  assert.deepEqual(await s.step(Buffer.from(`bob@${d}`)), { kind: 'failure', condition: 'invalid-authzid', username: 'ann' });
});

test('a certificate revoked after it was offered fails with not-authorized, as does a locked account', async () => {
  const der = await recorded('bob', 'd');
  const s = external.session(ctx(der));
  await store.clientCerts.setState('bob', d, 'd', 'revoked');
  assert.deepEqual(await s.start(Buffer.alloc(0)), { kind: 'failure', condition: 'not-authorized', text: 'certificate revoked' });
  const other = await recorded('bob', 'e');
  await store.users.setLocked('bob', d, true);
  assert.equal((await external.session(ctx(other)).start(Buffer.alloc(0))).kind, 'failure');
  await store.users.setLocked('bob', d, false);
});

test('the server lists XEP-0257 in disco and EXTERNAL goes when certificate sign-in is off', () => {
  assert.ok(loaded.disco('server').features.includes(NS_SASLCERT));
  const off = loadModules([certificateAccounts({ commands: commandRegistry(), enabled: false, days: 30, passphrase: null })]);
  assert.deepEqual(off.edge.saslMechanisms(), []);
});
