// vCards, private XML, directory fields and upload slots (migration 0010) for every Sql
// implementation; run by pglite.test.ts and postgres.test.ts.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { storePerSuite } from './contract-accounts.ts';
import type { Sql } from './sql.ts';

export function runProfileContract(name: string, open: () => Promise<Sql>): void {
  describe(`${name} profile store`, () => {
    const opened = storePerSuite(open);

    test('a vCard is kept per owner and replaced whole (XEP-0054 §3.2)', async () => {
      const s = opened();
      assert.equal(await s.vcards.get('ann@profile.example'), null);
      await s.vcards.set('ann@profile.example', '<vCard xmlns="vcard-temp"><FN>Ann</FN></vCard>');
      await s.vcards.set('ann@profile.example', '<vCard xmlns="vcard-temp"><FN>Ann B</FN></vCard>');
      assert.equal(await s.vcards.get('ann@profile.example'), '<vCard xmlns="vcard-temp"><FN>Ann B</FN></vCard>');
      assert.equal(await s.vcards.get('bob@profile.example'), null);
    });

    test('private XML is kept per owner and namespace (XEP-0049 §2)', async () => {
      const s = opened();
      await s.privateStorage.set('ann@profile.example', 'urn:a', '<a xmlns="urn:a">1</a>');
      await s.privateStorage.set('ann@profile.example', 'urn:b', '<b xmlns="urn:b"/>');
      await s.privateStorage.set('ann@profile.example', 'urn:a', '<a xmlns="urn:a">2</a>');
      assert.equal(await s.privateStorage.get('ann@profile.example', 'urn:a'), '<a xmlns="urn:a">2</a>');
      assert.equal(await s.privateStorage.get('ann@profile.example', 'urn:b'), '<b xmlns="urn:b"/>');
      assert.equal(await s.privateStorage.get('bob@profile.example', 'urn:a'), null);
    });

    test('directory search matches published fields only, all criteria at once, wildcards literally', async () => {
      const s = opened();
      await s.directory.put('cy@dir.example', [
        { field: 'name', value: 'Cyril Smith', visibility: 'everyone' },
        { field: 'country', value: 'FR', visibility: 'contacts' },
        { field: 'email', value: 'cy@mail.example', visibility: 'nobody' },
      ]);
      await s.directory.put('di@dir.example', [{ field: 'name', value: 'Diane Smith_', visibility: 'everyone' }]);
      const both = await s.directory.search([{ field: 'name', text: 'SMITH' }], 10);
      assert.deepEqual([...both.keys()], ['cy@dir.example', 'di@dir.example']);
      assert.equal(both.get('cy@dir.example')?.length, 3, 'all fields come back; the caller filters');
      assert.deepEqual([...(await s.directory.search([{ field: 'name', text: 'smith' }, { field: 'country', text: 'fr' }], 10)).keys()], ['cy@dir.example']);
      assert.equal((await s.directory.search([{ field: 'email', text: 'cy@' }], 10)).size, 0, 'a field published to nobody is not searchable');
      assert.deepEqual([...(await s.directory.search([{ field: 'name', text: 'h_' }], 10)).keys()], ['di@dir.example']);
      assert.equal((await s.directory.search([{ field: 'name', text: '%' }], 10)).size, 0);
      assert.equal((await s.directory.search([{ field: 'name', text: 'smith' }], 1)).size, 1, 'the limit caps owners');
      await s.directory.put('cy@dir.example', []);
      assert.deepEqual(await s.directory.get('cy@dir.example'), []);
    });

    test('upload slots respect the quota, are filled once within their window, and are reaped at expiry', async () => {
      const s = opened();
      const now = new Date('2030-01-01T00:00:00Z');
      const at = (ms: number) => new Date(now.getTime() + ms);
      const slot = (id: string, size: number) => ({ id, owner: 'up@profile.example', filename: `${id}.txt`, size, contentType: 'text/plain', secretHash: `h-${id}`, putExpiresAt: at(60_000), fileExpiresAt: at(3_600_000) });
      assert.equal(await s.uploads.create(slot('s1', 600), 1000, now), true);
      assert.equal(await s.uploads.create(slot('s2', 500), 1000, now), false, 'over quota');
      assert.equal(await s.uploads.create(slot('s3', 400), 1000, now), true);
      assert.equal(await s.uploads.usage('up@profile.example', now), 1000);
      assert.equal(await s.uploads.markUploaded('s1', at(1000)), true);
      assert.equal(await s.uploads.markUploaded('s1', at(2000)), false, 'filled once');
      assert.equal(await s.uploads.markUploaded('s3', at(120_000)), false, 'window passed');
      const got = await s.uploads.get('s1');
      assert.deepEqual({ ...got, uploadedAt: got?.uploadedAt?.toISOString() }, { ...slot('s1', 600), uploadedAt: at(1000).toISOString() });
      assert.equal(await s.uploads.usage('up@profile.example', at(120_000)), 600, 'an unfilled slot past its window no longer counts');
      assert.deepEqual((await s.uploads.reapExpired(at(120_000), 10)).map((x) => x.id), ['s3']);
      assert.deepEqual((await s.uploads.reapExpired(at(3_600_000), 10)).map((x) => x.id), ['s1']);
      assert.equal(await s.uploads.get('s1'), null);
    });

    test('deleting the account removes its vCard, private XML and directory fields', async () => {
      const s = opened();
      await s.users.create('gone', 'profile-del.example', []);
      const owner = 'gone@profile-del.example';
      await s.vcards.set(owner, '<vCard xmlns="vcard-temp"/>');
      await s.privateStorage.set(owner, 'urn:a', '<a xmlns="urn:a"/>');
      await s.directory.put(owner, [{ field: 'name', value: 'G', visibility: 'everyone' }]);
      assert.equal(await s.users.delete('gone', 'profile-del.example'), true);
      assert.equal(await s.vcards.get(owner), null);
      assert.equal(await s.privateStorage.get(owner, 'urn:a'), null);
      assert.deepEqual(await s.directory.get(owner), []);
    });
  });
}
