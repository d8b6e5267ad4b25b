// Personal eventing storage (XEP-0163) for every Sql implementation; run by pglite.test.ts and
// postgres.test.ts next to the main store contract.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { credential } from './contract.ts';
import { storePerSuite } from './contract-accounts.ts';
import type { Sql } from './sql.ts';

export function runPepContract(name: string, open: () => Promise<Sql>): void {
  describe(`${name} PEP storage`, () => {
    const store = storePerSuite(open);
    const owner = 'alice@pep.example';

    test('a node is created once, listed, configured and deleted with its items and subscriptions', async () => {
      const pep = store().pep;
      assert.equal(await pep.createNode(owner, 'n1', { access_model: 'presence' }), true);
      assert.equal(await pep.createNode(owner, 'n1', { access_model: 'open' }), false);
      assert.deepEqual(await pep.getNode(owner, 'n1'), { node: 'n1', config: { access_model: 'presence' }, affiliations: {} });
      await pep.setAffiliations(owner, 'n1', { 'bob@pep.example': 'member' });
      assert.deepEqual((await pep.getNode(owner, 'n1'))?.affiliations, { 'bob@pep.example': 'member' });
      await pep.publish(owner, 'n1', { id: 'a', payload: '<x/>', publisher: owner }, 10);
      await pep.subscribe(owner, 'n1', 'bob@pep.example');
      assert.equal(await pep.countNodes(owner), 1);
      assert.equal(await pep.deleteNode(owner, 'n1'), true);
      assert.equal(await pep.deleteNode(owner, 'n1'), false);
      assert.equal(await pep.getNode(owner, 'n1'), null);
      assert.deepEqual(await pep.items(owner, 'n1'), []);
      assert.deepEqual(await pep.subscribers(owner, 'n1'), []);
    });

    test('items come newest first, a republished id becomes the newest, and max_items drops the oldest', async () => {
      const pep = store().pep;
      await pep.createNode(owner, 'n2', {});
      assert.deepEqual(await pep.publish(owner, 'n2', { id: 'a', payload: '<a/>', publisher: owner }, 2), []);
      assert.deepEqual(await pep.publish(owner, 'n2', { id: 'b', payload: '<b/>', publisher: owner }, 2), []);
      assert.deepEqual(await pep.publish(owner, 'n2', { id: 'a', payload: '<a2/>', publisher: owner }, 2), []);
      assert.deepEqual((await pep.items(owner, 'n2')).map((i) => [i.id, i.payload]), [['a', '<a2/>'], ['b', '<b/>']]);
      assert.deepEqual(await pep.publish(owner, 'n2', { id: 'c', payload: '<c/>', publisher: owner }, 2), ['b']);
      assert.deepEqual((await pep.items(owner, 'n2', { max: 1 })).map((i) => i.id), ['c']);
      assert.deepEqual((await pep.items(owner, 'n2', { ids: ['a', 'zz'] })).map((i) => i.id), ['a']);
      assert.deepEqual(await pep.configureNode(owner, 'n2', { max_items: 1 }, 1), ['a']);
      assert.equal(await pep.retract(owner, 'n2', 'c'), true);
      assert.equal(await pep.retract(owner, 'n2', 'c'), false);
      await pep.publish(owner, 'n2', { id: 'd', payload: '<d/>', publisher: owner }, 5);
      await pep.purge(owner, 'n2');
      assert.deepEqual(await pep.items(owner, 'n2'), []);
    });

    test('subscriptions are kept once per JID and removed', async () => {
      const pep = store().pep;
      await pep.createNode(owner, 'n3', {});
      await pep.subscribe(owner, 'n3', 'bob@pep.example/phone');
      await pep.subscribe(owner, 'n3', 'bob@pep.example/phone');
      await pep.subscribe(owner, 'n3', 'carol@pep.example');
      assert.deepEqual(await pep.subscribers(owner, 'n3'), ['bob@pep.example/phone', 'carol@pep.example']);
      assert.equal(await pep.unsubscribe(owner, 'n3', 'carol@pep.example'), true);
      assert.equal(await pep.unsubscribe(owner, 'n3', 'carol@pep.example'), false);
    });

    test('caps features are stored once per hash and version', async () => {
      const pep = store().pep;
      assert.equal(await pep.capsGet('sha-1', 'v1='), null);
      await pep.capsPut('sha-1', 'v1=', ['a', 'b+notify']);
      await pep.capsPut('sha-1', 'v1=', ['other']);
      assert.deepEqual(await pep.capsGet('sha-1', 'v1='), ['a', 'b+notify']);
    });

    test('deleting the account removes its nodes', async () => {
      const s = store();
      await s.users.create('gone', 'pep.example', [credential('SHA-256')]);
      await s.pep.createNode('gone@pep.example', 'n', {});
      await s.pep.publish('gone@pep.example', 'n', { id: 'x', payload: '<x/>', publisher: 'gone@pep.example' }, 1);
      assert.equal(await s.users.delete('gone', 'pep.example'), true);
      assert.deepEqual(await s.pep.listNodes('gone@pep.example'), []);
    });
  });
}
