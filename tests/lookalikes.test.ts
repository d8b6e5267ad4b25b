// Look-alike (impostor) contacts, UTS #39 skeletons (docs/privacy.md): account names that look like
// existing ones are refused, and a message or subscription request from a look-alike of a contact is
// marked and announced (policy warn) or declined (policy decline). The impostors here are accounts
// older than look-alike detection (their skeleton was never recorded), the one way two confusable
// names can still share a domain.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type Account, type Cast, castPerFile } from './harness/cast.ts';
import { flush, flushPresence } from './harness/flush.ts';
import { type XmppJsClient, xml, type XmlElement } from './harness/xmppjs.ts';

const NS = 'urn:parley:lookalike:0';
const T = { timeout: 30_000 };
const warn = castPerFile();
const decline = castPerFile({ lookalikePolicy: 'decline' });

/** Creates `real` and then `impostor` as if `real` dated from before migration 0012. */
async function legacyPair(cast: Cast, real: string, impostor: string): Promise<[Account, Account]> {
  const server = cast.server();
  await server.addUsers([real, `${real}-pw`]);
  await server.server.store.sql.query('UPDATE users SET skeleton = NULL WHERE domain = $1 AND username = $2', [server.domain, real]);
  await server.addUsers([impostor, `${impostor}-pw`]);
  const at = (u: string) => ({ user: u, jid: `${u}@${server.domain}`, password: `${u}-pw` });
  return [at(real), at(impostor)];
}

/** `owner` and `contact` subscribed to each other. */
async function befriend(owner: XmppJsClient, ownerJid: string, contact: XmppJsClient, contactJid: string) {
  await owner.send(xml('presence'));
  await contact.send(xml('presence'));
  await owner.send(xml('presence', { to: contactJid, type: 'subscribe' }));
  await contact.next((e) => e.is('presence') && e.attrs.type === 'subscribe', 'the request');
  await contact.send(xml('presence', { to: ownerJid, type: 'subscribed' }));
  await owner.presence(contactJid, undefined, 'the contact available');
}

const marker = (el: XmlElement) => el.getChild('lookalike', NS);

describe('look-alike account names (UTS #39)', () => {
  test('an account whose name looks like an existing one is refused, naming the holder', T, async () => {
    const server = warn.server();
    await server.addUsers(['bankofx', 'pw-bank']);
    await assert.rejects(server.addUsers(['bank0fx', 'pw-imp']), /looks like the existing account bankofx@/);
    await assert.rejects(server.addUsers(['b\u0430nkofx', 'pw-imp']), /looks like the existing account bankofx@/, 'Cyrillic а');
    await server.addUsers(['bankofy', 'pw-other']);
  });
});

describe('messages and subscription requests from look-alikes of contacts', () => {
  test('warn: xmpp.js sees the impostor’s message and request marked, and one notice from the server', T, async () => {
    const [real, impostor] = await legacyPair(warn, 'paypal', 'paypa1');
    const alice = await warn.account('lookalice');
    const aliceC = await warn.xmppjs(alice);
    const realC = await warn.xmppjs(real);
    await befriend(aliceC, alice.jid, realC, real.jid);
    const imp = await warn.slix(impostor);

    await imp.sendMessage(alice.jid, 'please confirm your password');
    const msg = await aliceC.next((e) => e.is('message') && (e.attrs.from ?? '').startsWith(impostor.jid), 'the impostor’s message');
    assert.equal(msg.getChildText('body'), 'please confirm your password');
    assert.equal(marker(msg)?.attrs.of, real.jid);
    const notice = await aliceC.next((e) => e.is('message') && e.attrs.from === warn.server().domain, 'the server’s notice');
    assert.equal(marker(notice)?.attrs.jid, impostor.jid);
    assert.equal(marker(notice)?.attrs.of, real.jid);
    assert.match(notice.getChildText('body') ?? '', /looks like your contact paypal@/);

    await imp.sendMessage(alice.jid, 'again');
    const again = await aliceC.next((e) => e.is('message') && e.getChildText('body') === 'again', 'the second message');
    assert.equal(marker(again)?.attrs.of, real.jid, 'every message is marked');
    await imp.subscribe(alice.jid);
    const req = await aliceC.next((e) => e.is('presence') && e.attrs.type === 'subscribe', 'the impostor’s request');
    assert.equal(req.attrs.from, impostor.jid);
    assert.equal(marker(req)?.attrs.of, real.jid);
    await flush(aliceC);
    assert.ok(!aliceC.received.some((s) => s.includes(`from="${warn.server().domain}"`) && s.includes('subscription request')), 'one notice per impostor');

    // The real contact and a stranger with an unrelated name are not flagged.
    await realC.send(xml('message', { to: alice.jid, type: 'chat' }, xml('body', {}, 'hi, the real one')));
    const genuine = await aliceC.next((e) => e.is('message') && e.getChildText('body') === 'hi, the real one', 'the contact’s message');
    assert.equal(marker(genuine), undefined);
    const stranger = await warn.xmppjs(await warn.account('stranger'));
    await stranger.send(xml('message', { to: alice.jid, type: 'chat' }, xml('body', {}, 'hello')));
    const plain = await aliceC.next((e) => e.is('message') && e.getChildText('body') === 'hello', 'the stranger’s message');
    assert.equal(marker(plain), undefined);
  });

  test('decline: the impostor’s message bounces with not-acceptable, its request is declined, and the user is told', T, async () => {
    const [real, impostor] = await legacyPair(decline, 'mybank', 'rnybank');
    const alice = await decline.account('declalice');
    const aliceC = await decline.xmppjs(alice);
    const realC = await decline.xmppjs(real);
    await befriend(aliceC, alice.jid, realC, real.jid);
    const imp = await decline.xmppjs(impostor);
    await imp.send(xml('presence'));

    await imp.send(xml('message', { to: alice.jid, type: 'chat', id: 'm1' }, xml('body', {}, 'urgent')));
    const bounce = await imp.next((e) => e.is('message') && e.attrs.type === 'error', 'the bounce');
    assert.ok(bounce.getChild('error')?.getChild('not-acceptable', 'urn:ietf:params:xml:ns:xmpp-stanzas'));
    const notice = await aliceC.next((e) => e.is('message') && e.attrs.from === decline.server().domain, 'the notice');
    assert.equal(marker(notice)?.attrs.declined, 'true');

    await imp.send(xml('presence', { to: alice.jid, type: 'subscribe' }));
    await imp.presence(alice.jid, 'unsubscribed', 'the automatic decline');
    await flushPresence(imp, aliceC);
    assert.ok(!aliceC.received.some((s) => s.includes('type="subscribe"') && s.includes(impostor.jid)), 'the request never reached Alice');
    assert.ok(!aliceC.received.some((s) => s.includes('urgent')), 'nor the message');
  });
});
