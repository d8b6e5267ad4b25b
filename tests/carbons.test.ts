// XEP-0280 message carbons: every carbons-enabled resource of a user sees the user's chats, both
// what others send to another of its resources (`received`) and what its other resources send (`sent`).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Element, xml } from '@parley/xml';
import { flush } from './harness/flush.ts';
import { newId, RawClient } from './harness/raw.ts';
import { startTestServer, type TestServer } from './harness/server.ts';

const T = { timeout: 20_000 };
const CARBONS = 'urn:xmpp:carbons:2';
const FORWARD = 'urn:xmpp:forward:0';
let ts: TestServer;

before(async () => {
  ts = await startTestServer();
  await ts.addUsers(['carol', 'pw-c'], ['dave', 'pw-d']);
});
after(async () => ts.stop());

async function online(user: string, pw: string, resource: string, carbons: boolean): Promise<RawClient> {
  const c = await RawClient.login(ts.ports.c2s, user, pw, resource);
  c.send(xml('presence'));
  if (carbons) {
    const r = await c.iq(xml('iq', { type: 'set', id: newId() }, xml('enable', { xmlns: CARBONS })));
    assert.equal(r.attr('type'), 'result');
  }
  await flush(c);
  return c;
}

const forwardedBody = (kind: 'received' | 'sent') => (el: Element) =>
  el.is('message') && el.getChild(kind, CARBONS)?.getChild('forwarded', FORWARD)?.getChild('message')?.getChildText('body') !== undefined;

describe('message carbons', () => {
  test('the server advertises carbons in disco#info', T, async () => {
    const c = await online('carol', 'pw-c', 'probe', false);
    const info = await c.iq(xml('iq', { type: 'get', id: newId(), to: ts.domain }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })));
    const features = info.getChild('query')!.getChildren('feature').map((f) => f.attr('var'));
    assert.ok(features.includes(CARBONS));
    c.close();
  });

  test('a carbons-enabled resource sees messages received by and sent from the other resources', T, async () => {
    const phone = await online('carol', 'pw-c', 'phone', true);
    const laptop = await online('carol', 'pw-c', 'laptop', true);
    const dave = await online('dave', 'pw-d', 'desk', false);

    dave.send(xml('message', { to: phone.jid, type: 'chat', id: newId() }, xml('body', null, 'to your phone')));
    const original = await phone.next((e) => e.is('message') && e.getChildText('body') === 'to your phone', 'the original on the phone');
    assert.equal(original.getChild('received', CARBONS), undefined);
    const rc = await laptop.next(forwardedBody('received'), 'a received carbon on the laptop');
    assert.equal(rc.attr('from'), `carol@${ts.domain}`, 'carbons come from the bare JID (XEP-0280 §11)');
    assert.equal(rc.attr('to'), laptop.jid);
    const inner = rc.getChild('received', CARBONS)!.getChild('forwarded', FORWARD)!.getChild('message')!;
    assert.equal(inner.attr('from'), dave.jid);
    assert.equal(inner.getChildText('body'), 'to your phone');

    phone.send(xml('message', { to: `dave@${ts.domain}`, type: 'chat', id: newId() }, xml('body', null, 'from my phone')));
    await dave.next((e) => e.is('message') && e.getChildText('body') === 'from my phone', 'the message at dave');
    const sc = await laptop.next(forwardedBody('sent'), 'a sent carbon on the laptop');
    assert.equal(sc.getChild('sent', CARBONS)!.getChild('forwarded', FORWARD)!.getChild('message')!.attr('from'), phone.jid);
    // The sending resource itself gets no copy of its own message.
    await flush(phone);
    assert.deepEqual(phone.inbox.take(forwardedBody('sent')), []);
    for (const c of [phone, laptop, dave]) c.close();
  });

  test('private messages and resources without carbons get no copies', T, async () => {
    const phone = await online('carol', 'pw-c', 'phone2', true);
    const tablet = await online('carol', 'pw-c', 'tablet', false);
    const laptop = await online('carol', 'pw-c', 'laptop2', true);
    const dave = await online('dave', 'pw-d', 'desk2', false);
    dave.send(xml('message', { to: phone.jid, type: 'chat', id: newId() }, xml('body', null, 'secret'), xml('private', { xmlns: CARBONS })));
    await phone.next((e) => e.is('message') && e.getChildText('body') === 'secret', 'the private message');
    dave.send(xml('message', { to: phone.jid, type: 'chat', id: newId() }, xml('body', null, 'copied')));
    await laptop.next(forwardedBody('received'), 'a carbon of the second message');
    await flush(tablet);
    assert.deepEqual(tablet.inbox.take(forwardedBody('received')), [], 'no carbons without enabling them');
    // Only the second message was copied to the laptop.
    await flush(laptop);
    assert.deepEqual(laptop.inbox.take(forwardedBody('received')), []);
    for (const c of [phone, tablet, laptop, dave]) c.close();
  });
});
