// Certificate accounts for every Sql implementation; run by pglite.test.ts and postgres.test.ts.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { storePerSuite } from './contract-accounts.ts';
import { credential } from './contract.ts';
import type { Sql } from './sql.ts';

const d = 'certs.example';
const cert = (fingerprint: string, name: string, source: 'issued' | 'registered' = 'issued') => ({ fingerprint, name, certPem: `pem ${fingerprint}`, source, manage: true, notAfter: new Date(Date.now() + 86_400_000) });

export function runClientCertContract(name: string, open: () => Promise<Sql>): void {
  describe(`${name} client certificates`, () => {
    const opened = storePerSuite(open);

    test('the client CA is kept once per domain unless replaced', async () => {
      const s = opened();
      assert.equal(await s.clientCerts.ca(d), null);
      assert.equal(await s.clientCerts.setCa(d, { certPem: 'c1', keyPem: 'k1', keyEncrypted: false }, false), true);
      assert.equal(await s.clientCerts.setCa(d, { certPem: 'c2', keyPem: 'k2', keyEncrypted: true }, false), false);
      assert.equal((await s.clientCerts.ca(d))?.certPem, 'c1');
      assert.equal(await s.clientCerts.setCa(d, { certPem: 'c2', keyPem: 'k2', keyEncrypted: true }, true), true);
      assert.deepEqual({ ...(await s.clientCerts.ca(d)), createdAt: null }, { certPem: 'c2', keyPem: 'k2', keyEncrypted: true, createdAt: null });
    });

    test('a certificate belongs to one account, by fingerprint, with a name unique among the active ones', async () => {
      const s = opened();
      await s.users.create('ann', d, [credential('SHA-256')]);
      await s.users.create('bob', d, [credential('SHA-256')]);
      assert.equal(await s.clientCerts.add('ann', d, cert('AA:01', 'laptop')), 'ok');
      assert.equal(await s.clientCerts.add('ann', d, cert('AA:02', 'laptop')), 'name-taken');
      assert.equal(await s.clientCerts.add('bob', d, cert('AA:01', 'stolen')), 'known');
      assert.equal(await s.clientCerts.add('nobody', d, cert('AA:03', 'x')), 'no-account');
      const found = await s.clientCerts.byFingerprint('AA:01');
      assert.deepEqual([found?.username, found?.name, found?.state, found?.source], ['ann', 'laptop', 'active', 'issued']);
    });

    test('disabled certificates leave the list and may come back; revoked ones never do', async () => {
      const s = opened();
      await s.users.create('cat', d, [credential('SHA-256')]);
      await s.clientCerts.add('cat', d, cert('CC:01', 'phone', 'registered'));
      await s.clientCerts.add('cat', d, cert('CC:02', 'tablet'));
      assert.equal((await s.clientCerts.setState('cat', d, 'phone', 'disabled'))?.fingerprint, 'CC:01');
      assert.deepEqual((await s.clientCerts.list('cat', d, false)).map((c) => c.name), ['tablet']);
      assert.deepEqual((await s.clientCerts.list('cat', d, true)).map((c) => c.state).sort(), ['active', 'disabled']);
      assert.equal(await s.clientCerts.add('cat', d, cert('CC:01', 'phone again', 'registered')), 'ok');
      // By fingerprint, in lower case as a user may type it.
      assert.equal((await s.clientCerts.setState('cat', d, 'cc:02', 'revoked'))?.name, 'tablet');
      assert.equal(await s.clientCerts.setState('cat', d, 'tablet', 'revoked'), null);
      assert.equal(await s.clientCerts.add('cat', d, cert('CC:02', 'tablet')), 'known');
      assert.equal((await s.clientCerts.byFingerprint('CC:02'))?.state, 'revoked');
    });

    test("an account's certificates go with it", async () => {
      const s = opened();
      await s.users.create('dan', d, [credential('SHA-256')]);
      await s.clientCerts.add('dan', d, cert('DD:01', 'bot'));
      await s.users.delete('dan', d);
      assert.equal(await s.clientCerts.byFingerprint('DD:01'), null);
    });
  });
}
