// The session actor with IQs: routed to a full JID, answered for an account's bare JID, and the
// server's own (RFC 6120 §8.2.3, RFC 6121 §8.5; XEP-0030, XEP-0092, XEP-0199, XEP-0280).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Element } from '@parley/xml';
import { actorWorldPerFile, DOMAIN, errorCondition, SERVER_VERSION } from '../../../tests/harness/actors.ts';

const world = actorWorldPerFile();

const features = (iq: Element | undefined) =>
  iq?.getChild('query', 'http://jabber.org/protocol/disco#info')?.getChildren('feature').map((f) => f.attr('var')) ?? [];

describe('session actor: IQs between accounts', () => {
  test('an IQ to Bob’s full JID reaches that resource only', async () => {
    const { s, bob, edge, alicePhone } = await world.aliceAndBob();
    const bobPhone = await s.online(bob, 'phone', edge);
    const bobLaptop = await s.online(bob, 'laptop', edge);

    await s.stanza('session', bob, `<iq type="get" id="v1" to="${bobLaptop.jid}"><query xmlns="jabber:iq:version"/></iq>`, alicePhone);

    const [iq] = s.received(bobLaptop);
    assert.equal(iq?.attr('id'), 'v1');
    assert.equal(iq?.attr('from'), alicePhone.jid);
    assert.deepEqual([s.received(bobPhone), s.received(alicePhone)], [[], []]);
  });

  test('an IQ get to a resource Bob does not have is answered service-unavailable (RFC 6121 §8.5.3.2.3)', async () => {
    const { s, bob, alicePhone } = await world.aliceAndBob();

    await s.stanza('session', bob, `<iq type="get" id="v2" to="${bob}/gone"><query xmlns="jabber:iq:version"/></iq>`, alicePhone);

    assert.deepEqual(
      s.received(alicePhone).map((e) => [e.attr('id'), errorCondition(e)]),
      [['v2', 'service-unavailable']],
    );
  });

  test('a disco#info query to Bob’s bare JID is answered on his behalf as a registered account (RFC 6121 §8.5.2.1.3)', async () => {
    const { s, bob, edge, alicePhone } = await world.aliceAndBob();
    const bobPhone = await s.online(bob, 'phone', edge);

    await s.stanza('session', bob, `<iq type="get" id="d1" to="${bob}"><query xmlns="http://jabber.org/protocol/disco#info"/></iq>`, alicePhone);

    const [result, ...more] = s.received(alicePhone);
    assert.deepEqual(more, []);
    assert.equal(result?.attr('type'), 'result');
    assert.equal(result?.attr('from'), bob);
    assert.equal(result?.attr('to'), alicePhone.jid);
    const identity = result?.getChild('query', 'http://jabber.org/protocol/disco#info')?.getChild('identity');
    assert.deepEqual([identity?.attr('category'), identity?.attr('type')], ['account', 'registered']);
    assert.ok(features(result).includes('http://jabber.org/protocol/disco#info'));
    // Ping and version are the server's, not the account's.
    assert.ok(!features(result).includes('urn:xmpp:ping') && !features(result).includes('jabber:iq:version'));
    assert.deepEqual(s.received(bobPhone), [], 'Bob’s clients are not asked');
  });

  test('an IQ to Bob’s bare JID that nobody handles is answered service-unavailable', async () => {
    const { s, bob, edge, alicePhone } = await world.aliceAndBob();
    const bobPhone = await s.online(bob, 'phone', edge);

    await s.stanza('session', bob, `<iq type="get" id="u1" to="${bob}"><query xmlns="urn:example:unknown"/></iq>`, alicePhone);

    assert.deepEqual(
      s.received(alicePhone).map((e) => [e.attr('id'), errorCondition(e), e.attr('from')]),
      [['u1', 'service-unavailable', bob]],
    );
    assert.deepEqual(s.received(bobPhone), []);
  });
});

describe('session actor: IQs to the server', () => {
  test('a ping to the server is answered with an empty result from the domain (XEP-0199 §4.2)', async () => {
    const { s, alice, alicePhone: phone } = await world.aliceAndBob();

    await s.stanza('session', alice, `<iq type="get" id="p1" to="${DOMAIN}"><ping xmlns="urn:xmpp:ping"/></iq>`, phone);

    const [pong] = s.received(phone);
    assert.deepEqual([pong?.attr('type'), pong?.attr('id'), pong?.attr('from'), pong?.attr('to')], ['result', 'p1', DOMAIN, phone.jid]);
    assert.deepEqual(pong?.getChildElements(), []);
  });

  test('an IQ without a to is answered by the server without a from (RFC 6120 §8.1.2.1)', async () => {
    const { s, alice, alicePhone: phone } = await world.aliceAndBob();

    await s.stanza('session', alice, `<iq type="get" id="p2"><ping xmlns="urn:xmpp:ping"/></iq>`, phone);

    const [pong] = s.received(phone);
    assert.deepEqual([pong?.attr('type'), pong?.attr('from')], ['result', undefined]);
  });

  test('the server tells its software name and version (XEP-0092)', async () => {
    const { s, alice, alicePhone: phone } = await world.aliceAndBob();

    await s.stanza('session', alice, `<iq type="get" id="v1" to="${DOMAIN}"><query xmlns="jabber:iq:version"/></iq>`, phone);

    const query = s.received(phone)[0]?.getChild('query', 'jabber:iq:version');
    assert.deepEqual([query?.getChildText('name'), query?.getChildText('version'), query?.getChild('os')], ['Parley', SERVER_VERSION, undefined]);
  });

  test('the server’s disco#info shows it as an IM server with carbons and ping among its features (XEP-0030 §3.1)', async () => {
    const { s, alice, alicePhone: phone } = await world.aliceAndBob();

    await s.stanza('session', alice, `<iq type="get" id="d1" to="${DOMAIN}"><query xmlns="http://jabber.org/protocol/disco#info"/></iq>`, phone);

    const [result] = s.received(phone);
    const identity = result?.getChild('query', 'http://jabber.org/protocol/disco#info')?.getChild('identity');
    assert.deepEqual([identity?.attr('category'), identity?.attr('type')], ['server', 'im']);
    for (const f of ['urn:xmpp:carbons:2', 'urn:xmpp:ping', 'jabber:iq:version', 'http://jabber.org/protocol/disco#info']) {
      assert.ok(features(result).includes(f), `feature ${f}`);
    }
  });

  test('an IQ to the server that nobody handles is answered service-unavailable (RFC 6120 §8.4)', async () => {
    const { s, alice, alicePhone: phone } = await world.aliceAndBob();

    await s.stanza('session', alice, `<iq type="get" id="u1" to="${DOMAIN}"><query xmlns="urn:example:unknown"/></iq>`, phone);

    assert.deepEqual(
      s.received(phone).map((e) => [e.attr('id'), errorCondition(e)]),
      [['u1', 'service-unavailable']],
    );
  });

  test('an IQ get without a payload is answered bad-request (RFC 6120 §8.2.3)', async () => {
    const { s, alice, alicePhone: phone } = await world.aliceAndBob();

    await s.stanza('session', alice, `<iq type="get" id="b1" to="${DOMAIN}"/>`, phone);

    assert.deepEqual(
      s.received(phone).map((e) => [e.attr('id'), errorCondition(e)]),
      [['b1', 'bad-request']],
    );
  });

  test('an IQ result sent to the server ends there, unanswered (RFC 6120 §8.2.3)', async () => {
    const { s, alice, edge, alicePhone: phone } = await world.aliceAndBob();

    await s.stanza('session', alice, `<iq type="result" id="r1" to="${DOMAIN}"/>`, phone);

    assert.deepEqual(edge.deliveries(), []);
  });
});
