// Privacy lists, the default list and per-connection privacy state for every Sql implementation;
// run by pglite.test.ts and postgres.test.ts next to the main store contract.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { storePerSuite } from './contract-accounts.ts';
import type { Sql } from './sql.ts';
import type { PrivacyItem } from './types.ts';

const deny = (value: string, order: number): PrivacyItem => ({ type: 'jid', value, action: 'deny', order, stanzas: [] });
const allowAll = (order: number): PrivacyItem => ({ type: null, value: null, action: 'allow', order, stanzas: [] });

export function runPrivacyContract(name: string, open: () => Promise<Sql>): void {
  describe(`${name} privacy store`, () => {
    const opened = storePerSuite(open);

    test('a list is stored whole, read back in ascending order, and replaced whole', async () => {
      const owner = 'ann@privacy.example';
      await opened().privacy.putList(owner, { name: 'public', items: [allowAll(9), { ...deny('bad@x', 2), stanzas: ['message', 'presence-out'] }] });
      assert.deepEqual(await opened().privacy.getList(owner, 'public'), { name: 'public', items: [{ ...deny('bad@x', 2), stanzas: ['message', 'presence-out'] }, allowAll(9)] });
      await opened().privacy.putList(owner, { name: 'public', items: [deny('worse@x', 1)] });
      assert.deepEqual((await opened().privacy.getList(owner, 'public'))?.items, [deny('worse@x', 1)]);
      assert.equal(await opened().privacy.getList(owner, 'missing'), null);
      assert.equal(await opened().privacy.getList('other@privacy.example', 'public'), null, 'lists are per owner');
    });

    test('the default list is named only when it exists, read with the policy, and declined with null', async () => {
      const owner = 'bob@privacy.example';
      assert.equal(await opened().privacy.setDefault(owner, 'nope'), false);
      await opened().privacy.putList(owner, { name: 'b', items: [deny('x@y', 0)] });
      await opened().privacy.putList(owner, { name: 'a', items: [allowAll(0)] });
      assert.equal(await opened().privacy.setDefault(owner, 'b'), true);
      assert.deepEqual(await opened().privacy.names(owner), { lists: ['a', 'b'], defaultName: 'b' });
      assert.deepEqual((await opened().privacy.policies([owner])).get(owner)?.defaultList, { name: 'b', items: [deny('x@y', 0)] });
      assert.equal(await opened().privacy.setDefault(owner, null), true);
      assert.deepEqual(await opened().privacy.names(owner), { lists: ['a', 'b'], defaultName: null });
    });

    test('removing the default list also removes it as default and as any session active list', async () => {
      const owner = 'cat@privacy.example';
      await opened().privacy.putList(owner, { name: 'only', items: [deny('x@y', 0)] });
      await opened().privacy.setDefault(owner, 'only');
      await opened().privacy.patchSession(owner, { conn: 'c1', jid: `${owner}/c1` }, { active: 'only' });
      assert.equal(await opened().privacy.removeList(owner, 'only'), true);
      assert.equal(await opened().privacy.removeList(owner, 'only'), false);
      const policy = (await opened().privacy.policies([owner])).get(owner);
      assert.equal(policy?.defaultList, null);
      assert.equal(policy?.sessions.get('c1')?.active, null);
    });

    test('session state is patched field by field, read with its active list, and dropped', async () => {
      const owner = 'dan@privacy.example';
      await opened().privacy.putList(owner, { name: 'work', items: [deny('boss@x', 3)] });
      await opened().privacy.patchSession(owner, { conn: 'c1', jid: `${owner}/c1` }, { invisible: true });
      await opened().privacy.patchSession(owner, { conn: 'c1', jid: `${owner}/c1` }, { allowed: ['eve@x'] });
      await opened().privacy.patchSession(owner, { conn: 'c1', jid: `${owner}/c1` }, { active: 'work' });
      await opened().privacy.patchSession(owner, { conn: 'c2', jid: `${owner}/c2` }, { blocklistInterest: true });
      const policies = await opened().privacy.policies([owner, 'nobody@privacy.example']);
      const s1 = policies.get(owner)?.sessions.get('c1');
      assert.deepEqual(s1, { conn: 'c1', jid: `${owner}/c1`, active: { name: 'work', items: [deny('boss@x', 3)] }, invisible: true, allowed: ['eve@x'], blocklistInterest: false });
      assert.deepEqual(policies.get(owner)?.sessions.get('c2'), { conn: 'c2', jid: `${owner}/c2`, active: null, invisible: false, allowed: [], blocklistInterest: true });
      assert.deepEqual(policies.get('nobody@privacy.example'), { defaultList: null, sessions: new Map() });
      await opened().privacy.patchSession(owner, { conn: 'c1', jid: `${owner}/c1` }, { active: null, invisible: false });
      const again = (await opened().privacy.policies([owner])).get(owner)?.sessions.get('c1');
      assert.deepEqual(again, { conn: 'c1', jid: `${owner}/c1`, active: null, invisible: false, allowed: ['eve@x'], blocklistInterest: false });
      await opened().privacy.dropSession(owner, 'c1');
      assert.deepEqual([...((await opened().privacy.policies([owner])).get(owner)?.sessions.keys() ?? [])], ['c2']);
    });

    test('last activity is kept per owner and replaced by the next (XEP-0012 §4)', async () => {
      const owner = 'gus@privacy.example';
      assert.equal(await opened().lastActivity.get(owner), null);
      await opened().lastActivity.set(owner, { at: new Date('2030-01-02T03:04:05Z'), status: 'Heading home' });
      assert.deepEqual(await opened().lastActivity.get(owner), { at: new Date('2030-01-02T03:04:05Z'), status: 'Heading home' });
      await opened().lastActivity.set(owner, { at: new Date('2030-01-03T00:00:00Z'), status: null });
      assert.deepEqual(await opened().lastActivity.get(owner), { at: new Date('2030-01-03T00:00:00Z'), status: null });
    });

    test('deleting the account removes its lists, default, sessions and last activity', async () => {
      const d = 'privacy-del.example';
      await opened().users.create('fay', d, []);
      const owner = `fay@${d}`;
      await opened().privacy.putList(owner, { name: 'l', items: [deny('x@y', 0)] });
      await opened().privacy.setDefault(owner, 'l');
      await opened().privacy.patchSession(owner, { conn: 'c', jid: `${owner}/c` }, { invisible: true });
      await opened().lastActivity.set(owner, { at: new Date(), status: null });
      assert.equal(await opened().users.delete('fay', d), true);
      assert.equal(await opened().lastActivity.get(owner), null);
      assert.deepEqual(await opened().privacy.names(owner), { lists: [], defaultName: null });
      assert.deepEqual((await opened().privacy.policies([owner])).get(owner), { defaultList: null, sessions: new Map() });
    });
  });
}
