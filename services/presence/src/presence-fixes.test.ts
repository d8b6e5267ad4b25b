// Rules of RFC 6120/6121 and XEP-0160 the presence actor once broke, each test naming the rule:
// error replies without the domain as from, offline delivery on a raised priority, and unavailable
// to the entities that received directed presence.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { actorWorldPerFile } from '../../../tests/harness/actors.ts';

const world = actorWorldPerFile();

describe('presence actor: directed presence, offline delivery on priority change, error addresses', () => {
  test('an error to a roster set comes without a from or from Alice’s bare JID, never from the domain (RFC 6120 §8.1.2.1)', async () => {
    const { s, alice, alicePhone } = await world.aliceAndBob();

    await s.stanza('presence', alice, `<iq type="set" id="bad"><query xmlns="jabber:iq:roster"><item jid="${alice}"/></query></iq>`, alicePhone);

    const [error] = s.received(alicePhone);
    assert.equal(error?.attr('type'), 'error');
    // The server answers on behalf of the account: clients (Pidgin's jabber_is_own_account, for one)
    // drop a reply from the bare domain as not being theirs, as they would a spoofed one.
    assert.ok([undefined, alice].includes(error?.attr('from')), `from=${error?.attr('from')}`);
  });

  test('messages kept offline are handed over when an available resource raises its priority from negative to non-negative (XEP-0160 §2)', async () => {
    const { s, alice, bob, edge, alicePhone } = await world.aliceAndBob();
    const bobPhone = await s.online(bob, 'phone', edge);
    await s.stanza('presence', alice, '<presence><priority>-1</priority></presence>', alicePhone);
    await s.stanza('session', alice, `<message type="chat" to="${alice}"><body>kept</body></message>`, bobPhone);
    s.forget();

    // "When the recipient next sends non-negative available presence to the server, the server
    // delivers the message to the resource that has sent that presence."
    await s.stanza('presence', alice, '<presence><priority>0</priority></presence>', alicePhone);

    assert.deepEqual(
      s.received(alicePhone).filter((m) => m.name === 'message').map((m) => m.getChildText('body')),
      ['kept'],
    );
  });

  test('an entity Alice sent directed presence to gets her unavailable presence when she goes offline (RFC 6121 §4.6)', async () => {
    const { s, alice, edge, alicePhone } = await world.aliceAndBob();
    const dave = await s.account('dave');
    const daveDesk = await s.online(dave, 'desk', edge);
    await s.stanza('presence', alice, '<presence/>', alicePhone);
    await s.stanza('presence', alice, `<presence to="${dave}"/>`, alicePhone);
    s.forget();

    await s.request('presence', { kind: 'resource-gone', key: alice, jid: alicePhone.jid, conn: alicePhone.conn, edge: edge.id, available: true });

    assert.deepEqual(
      s.received(daveDesk).map((p) => [p.attr('type'), p.attr('from')]),
      [['unavailable', alicePhone.jid]],
    );
  });
});
