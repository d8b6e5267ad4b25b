// vCard-temp (XEP-0054) with vCard avatars (XEP-0153), private XML storage (XEP-0049) and the
// ad-hoc command framework (XEP-0050), with slixmpp's plugins and xmpp.js.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type Cast, castPerFile } from './harness/cast.ts';
import { slixProfile } from './harness/profile.ts';
import { xml, type XmppJsClient } from './harness/xmppjs.ts';

const T = { timeout: 30_000 };
const cast = castPerFile({ vcardMaxBytes: 8192, privateMaxBytes: 1024, contactAddresses: 'abuse=mailto:abuse@example.com xmpp:abuse@example.com' });
const PNG = Buffer.from('89504e470d0a1a0a0000000d4948445200000001', 'hex');

type IqFailure = { condition?: string; application?: { name: string }; element?: { getChild(n: string): { attrs: Record<string, string> } | undefined } };
/** The error condition (and application condition) of a refused IQ. */
async function refused(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    const err = e as IqFailure;
    return err.application ? `${err.condition}/${err.application.name}` : String(err.condition);
  }
  throw new Error('the IQ was answered with a result');
}

const vcardOf = (c: XmppJsClient, to: string) => c.iq(xml('iq', { type: 'get', to }, xml('vCard', { xmlns: 'vcard-temp' })));

async function friends(cast: Cast) {
  const a = await cast.account('vcalice');
  const b = await cast.account('vcbob');
  const alice = await cast.xmppjs(a);
  const bob = await cast.slix(b);
  return { a, b, alice, bob };
}

describe('vCard-temp (XEP-0054) and vCard avatars (XEP-0153)', () => {
  test('slixmpp stores its vCard with a photo; it reads it back and xmpp.js reads it as another user (§3.1, §3.2)', T, async () => {
    const { b, alice, bob } = await friends(cast);
    await slixProfile(bob).vcardSet({ fn: 'Bob Builder', nickname: 'bob', photo: PNG.toString('base64') });
    const own = await slixProfile(bob).vcardGet();
    assert.equal(own.fn, 'Bob Builder');
    assert.deepEqual(own.nickname, ['bob']);
    assert.equal(own.photo, PNG.toString('base64'));
    const seen = await vcardOf(alice, b.jid);
    const card = seen.getChild('vCard', 'vcard-temp');
    assert.equal(card?.getChildText('FN'), 'Bob Builder');
    assert.equal(Buffer.from(card?.getChild('PHOTO')?.getChildText('BINVAL') ?? '', 'base64').toString('hex'), PNG.toString('hex'));
    assert.equal(seen.attrs.from, b.jid);
  });

  test('a vCard nobody stored is item-not-found, and a requester the owner blocked gets exactly that answer', T, async () => {
    const { a, b, alice, bob } = await friends(cast);
    const c = await cast.account('vccarol');
    assert.equal(await refused(vcardOf(alice, c.jid)), 'item-not-found');
    await slixProfile(bob).vcardSet({ fn: 'Bob' });
    assert.equal((await vcardOf(alice, b.jid)).getChild('vCard', 'vcard-temp')?.getChildText('FN'), 'Bob');
    await bob.block(a.jid);
    // XEP-0191 would say service-unavailable; the vCard answer hides the block (vcard-temp.ts).
    assert.equal(await refused(vcardOf(alice, b.jid)), 'item-not-found');
    await bob.unblock(a.jid);
    assert.equal((await vcardOf(alice, b.jid)).getChild('vCard', 'vcard-temp')?.getChildText('FN'), 'Bob');
  });

  test("a vCard over the size limit is not-acceptable and leaves the stored one; nobody sets another user's vCard", T, async () => {
    const { b, alice } = await friends(cast);
    await alice.iq(xml('iq', { type: 'set' }, xml('vCard', { xmlns: 'vcard-temp' }, xml('FN', {}, 'Alice'))));
    const huge = xml('iq', { type: 'set' }, xml('vCard', { xmlns: 'vcard-temp' }, xml('FN', {}, 'A'), xml('NOTE', {}, 'x'.repeat(9000))));
    assert.equal(await refused(alice.iq(huge)), 'not-acceptable');
    assert.equal((await alice.iq(xml('iq', { type: 'get' }, xml('vCard', { xmlns: 'vcard-temp' })))).getChild('vCard', 'vcard-temp')?.getChildText('FN'), 'Alice');
    assert.equal(await refused(alice.iq(xml('iq', { type: 'set', to: b.jid }, xml('vCard', { xmlns: 'vcard-temp' }, xml('FN', {}, 'Not Bob'))))), 'forbidden');
  });

  test("a client's XEP-0153 update presence reaches its contacts untouched", T, async () => {
    const { a, b, alice, bob } = await friends(cast);
    await alice.send(xml('presence'));
    await alice.send(xml('presence', { to: b.jid, type: 'subscribe' }));
    await bob.presence((p) => p.type === 'subscribe', 'alice asking');
    await bob.approve(a.jid);
    await alice.presence(b.jid, 'subscribed', 'the approval');
    const hash = '01b87fcd030b72895ff8e88db57ec525450f000d';
    await slixProfile(bob).sendUpdatePresence(hash);
    const p = await alice.next((el) => el.is('presence') && el.attrs.from?.startsWith(`${b.jid}/`) === true && el.getChild('x', 'vcard-temp:x:update') !== undefined, 'the update presence');
    assert.equal(p.getChild('x', 'vcard-temp:x:update')?.getChildText('photo'), hash);
  });
});

describe('private XML storage (XEP-0049)', () => {
  test('slixmpp stores and reads back its fragment; an unstored namespace comes back empty (§2)', T, async () => {
    const a = await cast.account('pvann');
    const ann = await cast.slix(a);
    const js = await cast.xmppjs(a);
    const empty = await js.iq(xml('iq', { type: 'get' }, xml('query', { xmlns: 'jabber:iq:private' }, xml('prefs', { xmlns: 'urn:parley:test:prefs' }))));
    assert.equal(empty.getChild('query')?.getChild('prefs', 'urn:parley:test:prefs')?.children.length, 0);
    await slixProfile(ann).privateStore('remember the milk');
    assert.equal(await slixProfile(ann).privateGet(), 'remember the milk');
    await slixProfile(ann).privateStore('and the eggs');
    assert.equal(await slixProfile(ann).privateGet(), 'and the eggs');
  });

  test('jabber:* namespaces, another account, an empty query and oversize fragments are refused (§3)', T, async () => {
    const a = await cast.account('pvbea');
    const o = await cast.account('pvcid');
    const js = await cast.xmppjs(a);
    const priv = (to: string | undefined, type: string, ...children: ReturnType<typeof xml>[]) => js.iq(xml('iq', { type, to }, xml('query', { xmlns: 'jabber:iq:private' }, ...children)));
    assert.equal(await refused(priv(undefined, 'set', xml('query', { xmlns: 'jabber:iq:roster' }))), 'not-acceptable');
    assert.equal(await refused(priv(undefined, 'get', xml('x', { xmlns: 'jabber:x:data' }))), 'not-acceptable');
    assert.equal(await refused(priv(o.jid, 'get', xml('prefs', { xmlns: 'urn:parley:test:prefs' }))), 'forbidden');
    assert.equal(await refused(priv(undefined, 'get')), 'bad-request');
    assert.equal(await refused(priv(undefined, 'set', xml('big', { xmlns: 'urn:parley:test:big' }, 'y'.repeat(2000)))), 'not-acceptable');
  });
});

describe('ad-hoc commands (XEP-0050)', () => {
  test('slixmpp finds the commands on the server and xmpp.js gets the §6 errors', T, async () => {
    const a = await cast.account('ahdan');
    const dan = await cast.slix(a);
    const items = await slixProfile(dan).commands();
    assert.ok(items.some((i) => i.node === 'urn:parley:directory:edit' && i.jid === cast.server().domain));
    const js = await cast.xmppjs(a);
    const run = (attrs: Record<string, string>) => js.iq(xml('iq', { type: 'set', to: cast.server().domain }, xml('command', { xmlns: 'http://jabber.org/protocol/commands', ...attrs })));
    assert.equal(await refused(run({ node: 'urn:parley:directory:edit', sessionid: 'made-up' })), 'bad-request/bad-sessionid');
    assert.equal(await refused(run({ node: 'urn:parley:directory:edit', action: 'jump' })), 'bad-request/malformed-action');
    assert.equal(await refused(run({ node: 'urn:parley:directory:edit', action: 'next' })), 'bad-request/bad-action');
    assert.equal(await refused(run({ node: 'urn:parley:nothing' })), 'item-not-found');
    const started = await run({ node: 'urn:parley:directory:edit' });
    const sessionid = started.getChild('command')?.attrs.sessionid;
    assert.ok(sessionid);
    const canceled = await run({ node: 'urn:parley:directory:edit', sessionid, action: 'cancel' });
    assert.equal(canceled.getChild('command')?.attrs.status, 'canceled');
  });
});

describe('HTTP file upload is off by default; contact addresses (XEP-0157)', () => {
  test('a slot request is service-unavailable, disco#info does not offer it, and lists the contact addresses', T, async () => {
    const a = await cast.account('noup');
    const js = await cast.xmppjs(a);
    const domain = cast.server().domain;
    const ask = js.iq(xml('iq', { type: 'get', to: domain }, xml('request', { xmlns: 'urn:xmpp:http:upload:0', filename: 'a.txt', size: '3', 'content-type': 'text/plain' })));
    assert.equal(await refused(ask), 'service-unavailable');
    const info = await js.iq(xml('iq', { type: 'get', to: domain }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })));
    assert.ok(!info.getChild('query')!.getChildren('feature').some((f) => f.attrs.var === 'urn:xmpp:http:upload:0'));
    // XEP-0157: the operator's contact addresses are in the same disco#info.
    const serverinfo = info.getChild('query')!.getChildren('x').find((x) => x.getChildren('field').some((f) => f.getChildText('value') === 'http://jabber.org/network/serverinfo'));
    const abuse = serverinfo?.getChildren('field').find((f) => f.attrs.var === 'abuse-addresses');
    assert.deepEqual(abuse?.getChildren('value').map((v) => v.text()), ['mailto:abuse@example.com', 'xmpp:abuse@example.com']);
  });
});
