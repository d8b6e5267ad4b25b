// Chatroom storage (XEP-0045 rooms, affiliations, occupants, history) for every Sql
// implementation; run by pglite.test.ts and postgres.test.ts next to the main store contract.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { storePerSuite } from './contract-accounts.ts';
import type { Sql } from './sql.ts';

export function runMucContract(name: string, open: () => Promise<Sql>): void {
  describe(`${name} chatroom store`, () => {
    const opened = storePerSuite(open);

    test('a room is stored with its configuration and subject, listed per service, and deleted with everything in it', async () => {
      const { muc, archive } = opened();
      const room = 'tea@conference.a.example';
      await muc.putRoom(room, { name: 'Tea', public: true });
      await muc.putRoom('zz@conference.b.example', { name: 'other service' });
      await muc.setSubject(room, 'Oolong', 'alice');
      await muc.putRoom(room, { name: 'Tea time', public: true });
      const got = await muc.getRoom(room);
      assert.deepEqual({ ...got, createdAt: undefined }, { jid: room, config: { name: 'Tea time', public: true }, subject: 'Oolong', subjectBy: 'alice', createdAt: undefined });
      await muc.putOccupant(room, { realJid: 'a@a.example/1', nick: 'alice', role: 'moderator', edge: 'e1', conn: 'c1', presence: null });
      await muc.putOccupant(room, { realJid: 'a@a.example/2', nick: 'alice', role: 'moderator', edge: 'e2', conn: 'c2', presence: '<presence/>' });
      assert.deepEqual(await muc.listRooms('conference.a.example'), [{ jid: room, config: { name: 'Tea time', public: true }, occupants: 1 }]);
      await muc.setAffiliation(room, { jid: 'a@a.example', affiliation: 'owner' });
      await muc.addHistory(room, { at: new Date(1000), nick: 'alice', stanza: '<message/>' }, 10);
      // The room's archive (XEP-0313, owner = room JID) goes with it; another owner's stays.
      const row = (owner: string) => ({ owner, with: room, peer: `${room}/alice`, dir: 'in' as const, ts: new Date(1000), msgId: null, originId: null, replaces: null, body: 'hi', stanza: '<message/>' });
      await archive.append([row(room), row('keep@archive.example')]);
      assert.equal(await muc.deleteRoom(room), true);
      const left = async (owner: string) => {
        const page = await archive.query({ owner, max: 10, direction: 'forward' });
        return page === 'item-not-found' ? -1 : page.items.length;
      };
      assert.equal(await left(room), 0);
      assert.equal(await left('keep@archive.example'), 1);
      assert.equal(await muc.deleteRoom(room), false);
      assert.equal(await muc.getRoom(room), null);
      assert.deepEqual(await muc.occupants(room), []);
      assert.deepEqual(await muc.affiliations(room), []);
      assert.deepEqual(await muc.history(room, 10), []);
    });

    test('affiliations are set, changed keeping the reserved nickname, removed with none, and listed by owner', async () => {
      const muc = opened().muc;
      const room = 'aff@conference.a.example';
      await muc.putRoom(room, {});
      await muc.setAffiliation(room, { jid: 'bob@a.example', affiliation: 'member', nick: 'bobby' });
      await muc.setAffiliation(room, { jid: 'bob@a.example', affiliation: 'admin', reason: 'trusted' });
      await muc.setAffiliation(room, { jid: 'eve@a.example', affiliation: 'outcast', reason: 'spam' });
      await muc.setAffiliation(room, { jid: 'own@a.example', affiliation: 'owner' });
      assert.deepEqual(await muc.affiliations(room), [
        { jid: 'bob@a.example', affiliation: 'admin', nick: 'bobby', reason: 'trusted' },
        { jid: 'eve@a.example', affiliation: 'outcast', nick: null, reason: 'spam' },
        { jid: 'own@a.example', affiliation: 'owner', nick: null, reason: null },
      ]);
      assert.deepEqual(await muc.ownedBy('own@a.example'), [room]);
      await muc.setAffiliation(room, { jid: 'eve@a.example', affiliation: 'none' });
      assert.deepEqual((await muc.affiliations(room)).map((a) => a.jid), ['bob@a.example', 'own@a.example']);
    });

    test('occupants are replaced per full JID, found by full JID, and removed', async () => {
      const muc = opened().muc;
      const room = 'occ@conference.a.example';
      await muc.putRoom(room, {});
      await muc.putOccupant(room, { realJid: 'c@a.example/r', nick: 'cat', role: 'participant', edge: 'e1', conn: 'c1', presence: null });
      await muc.putOccupant(room, { realJid: 'c@a.example/r', nick: 'kitty', role: 'visitor', edge: 'e2', conn: 'c9', presence: '<presence><show>away</show></presence>' });
      assert.deepEqual(await muc.occupants(room), [{ realJid: 'c@a.example/r', nick: 'kitty', role: 'visitor', edge: 'e2', conn: 'c9', presence: '<presence><show>away</show></presence>' }]);
      assert.deepEqual(await muc.roomsOf('c@a.example/r'), [room]);
      assert.deepEqual(await muc.roomsOf('c@a.example/other'), []);
      await muc.removeOccupant(room, 'c@a.example/r');
      assert.deepEqual(await muc.occupants(room), []);
    });

    test('history keeps the newest entries and returns them oldest first', async () => {
      const muc = opened().muc;
      const room = 'hist@conference.a.example';
      await muc.putRoom(room, {});
      for (let i = 1; i <= 5; i++) await muc.addHistory(room, { at: new Date(i * 1000), nick: `n${i}`, stanza: `<message id="${i}"/>` }, 3);
      assert.deepEqual((await muc.history(room, 10)).map((h) => h.nick), ['n3', 'n4', 'n5']);
      assert.deepEqual((await muc.history(room, 2)).map((h) => [h.nick, h.at.getTime(), h.stanza]), [
        ['n4', 4000, '<message id="4"/>'],
        ['n5', 5000, '<message id="5"/>'],
      ]);
    });
  });
}
