// Tier 3 (ARCHITECTURE.md, Tests): real third-party clients talk to a running Parley, Alice-and-Bob
// style. xmpp.js comes from npm, slixmpp from Debian (python3-slixmpp). A stanza that must not
// arrive is proven absent with a flush (a ping round trip), never with a sleep.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { flushPresence } from './harness/flush.ts';
import { startTestServer, type TestServer, uniqueName } from './harness/server.ts';
import { SlixClient } from './harness/slix.ts';
import { XmppJsClient, xml, type XmlElement } from './harness/xmppjs.ts';

const NS_ROSTER = 'jabber:iq:roster';
const NS_STANZAS = 'urn:ietf:params:xml:ns:xmpp-stanzas';

/** A hung exchange fails its test instead of the whole run. */
const T = { timeout: 20_000 };

let ts: TestServer;
const open: Array<{ stop(): Promise<void> }> = [];

before(async () => {
  ts = await startTestServer();
});
after(async () => {
  await Promise.all(open.splice(0).map((c) => c.stop()));
  await ts.stop();
});

/** A fresh account name plus password (every test uses its own accounts on the shared server). */
async function account(prefix: string): Promise<{ user: string; jid: string; password: string }> {
  const user = uniqueName(prefix);
  const password = `${user}-secret`;
  await ts.addUsers([user, password]);
  return { user, jid: `${user}@${ts.domain}`, password };
}

async function xmppjs(a: { user: string; password: string }, opts: { resource?: string; ws?: boolean } = {}): Promise<XmppJsClient> {
  const c = await XmppJsClient.connect({
    service: opts.ws ? `ws://127.0.0.1:${ts.ports.http}/xmpp-websocket` : `xmpp://127.0.0.1:${ts.ports.c2s}`,
    domain: ts.domain,
    username: a.user,
    password: a.password,
    resource: opts.resource ?? 'xmppjs',
    fingerprint: ts.server.fingerprint,
  });
  open.push(c);
  return c;
}

async function slix(a: { jid: string; password: string }, resource = 'slix'): Promise<SlixClient> {
  const c = await SlixClient.connect({ jid: `${a.jid}/${resource}`, password: a.password, port: ts.ports.c2s, mech: 'SCRAM-SHA-256' });
  open.push(c);
  return c;
}

const from = (el: XmlElement) => el.attrs.from ?? '';
const stanzaError = (el: XmlElement) =>
  el
    .getChild('error')
    ?.getChildElements()
    .find((c) => c.getNS() === NS_STANZAS && c.name !== 'text')?.name;

describe('xmpp.js and slixmpp', () => {
  test('alice on xmpp.js and bob on slixmpp add each other, see each other and chat both ways', T, async () => {
    const a = await account('alice');
    const b = await account('bob');
    const alice = await xmppjs(a);
    assert.equal(alice.mechanism, 'SCRAM-SHA-256');
    await alice.send(xml('presence'));
    const bob = await slix(b);
    assert.equal(bob.mechanism, 'SCRAM-SHA-256');

    await alice.send(xml('presence', { to: b.jid, type: 'subscribe' }));
    await bob.presence((p) => p.type === 'subscribe' && p.from === a.jid, 'alice asking to subscribe');
    await bob.approve(a.jid);
    await bob.subscribe(a.jid);
    // RFC 6121 §3.1.5: once approved, alice gets bob's current presence.
    await alice.presence(bob.jid, undefined, "bob's available presence");
    await alice.next((e) => e.is('presence') && e.attrs.type === 'subscribe' && from(e) === b.jid, 'bob asking to subscribe');
    await alice.send(xml('presence', { to: b.jid, type: 'subscribed' }));
    await bob.presence((p) => p.type === 'available' && p.from === alice.jid, "alice's available presence");

    await alice.send(xml('message', { to: b.jid, type: 'chat', id: 'm1' }, xml('body', null, 'hello bob')));
    const got = await bob.message((m) => m.body === 'hello bob', 'alice’s message');
    assert.equal(got.from, alice.jid);
    assert.equal(got.type, 'chat');
    await bob.sendMessage(alice.jid, 'hi alice');
    const reply = await alice.message(b.jid, 'bob’s reply');
    assert.equal(from(reply), bob.jid);
    assert.equal(reply.getChildText('body'), 'hi alice');

    const roster = await bob.getRoster();
    assert.deepEqual(
      roster.map((i) => [i.jid, i.subscription]),
      [[a.jid, 'both']],
    );

    await bob.disconnect();
    await alice.presence(bob.jid, 'unavailable', 'bob going offline');
  });

  test('two slixmpp users log in with SCRAM-SHA-256 and share presence, status and messages', T, async () => {
    const a = await account('anna');
    const b = await account('ben');
    const [anna, ben] = await Promise.all([slix(a), slix(b)]);
    assert.equal(anna.mechanism, 'SCRAM-SHA-256');
    assert.equal(ben.mechanism, 'SCRAM-SHA-256');

    await anna.subscribe(b.jid);
    await ben.presence((p) => p.type === 'subscribe' && p.from === a.jid, 'anna asking');
    await ben.approve(a.jid);
    await anna.presence((p) => p.type === 'available' && p.from === ben.jid, "ben's presence");
    await ben.subscribe(a.jid);
    await anna.presence((p) => p.type === 'subscribe' && p.from === b.jid, 'ben asking');
    await anna.approve(b.jid);
    await ben.presence((p) => p.type === 'available' && p.from === anna.jid, "anna's presence");

    await ben.sendPresence({ show: 'away', status: 'at lunch' });
    const away = await anna.presence((p) => p.from === ben.jid && p.show === 'away', "ben's away status");
    assert.equal(away.status, 'at lunch');

    await anna.sendMessage(b.jid, 'ping pong?');
    assert.equal((await ben.message((m) => m.body === 'ping pong?', 'the message')).from, anna.jid);
    await ben.sendMessage(anna.jid, 'pong!');
    assert.equal((await anna.message((m) => m.body === 'pong!', 'the reply')).from, ben.jid);

    await ben.disconnect();
    await anna.presence((p) => p.type === 'unavailable' && p.from === ben.jid, 'ben going offline');
  });

  test('a websocket client chats with a TCP client', T, async () => {
    const c = await account('carol');
    const d = await account('dan');
    const carol = await xmppjs(c, { ws: true });
    await carol.send(xml('presence'));
    const dan = await slix(d);

    await carol.send(xml('message', { to: dan.jid, type: 'chat' }, xml('body', null, 'over websocket')));
    assert.equal((await dan.message((m) => m.body === 'over websocket', 'the websocket message')).from, carol.jid);
    await dan.sendMessage(c.jid, 'over tcp');
    const got = await carol.message(d.jid, 'the tcp message');
    assert.equal(got.getChildText('body'), 'over tcp');
    assert.equal(from(got), dan.jid);
  });
});

describe('offline messages', () => {
  test('a message to an offline user is delivered with a delay stamp when they come online', T, async () => {
    const a = await account('alice');
    const e = await account('erin');
    const alice = await xmppjs(a);
    const before = Date.now();
    await alice.send(xml('message', { to: e.jid, type: 'chat' }, xml('body', null, 'while you were away')));
    // Erin's session actor stores the message; an IQ to erin's bare JID is answered by that same actor
    // after it, so once the answer is back the message is stored (result or error does not matter).
    await alice.iq(xml('iq', { type: 'get', to: e.jid }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' }))).catch(() => {});

    const erin = await slix(e);
    const m = await erin.message((x) => x.body === 'while you were away', 'the stored message');
    assert.equal(m.from, alice.jid);
    assert.ok(m.delay, 'a urn:xmpp:delay element (XEP-0203)');
    const stamp = Date.parse(m.delay);
    assert.ok(stamp >= before - 1000 && stamp <= Date.now(), `stamp ${m.delay} is when the message was stored`);
  });
});

describe('rosters and subscriptions', () => {
  test('a roster set is pushed, listed and removed', T, async () => {
    const a = await account('alice');
    const alice = await xmppjs(a);
    const friend = `friend@${ts.domain}`;
    await alice.iq(xml('iq', { type: 'get' }, xml('query', { xmlns: NS_ROSTER })));

    await alice.iq(xml('iq', { type: 'set' }, xml('query', { xmlns: NS_ROSTER }, xml('item', { jid: friend, name: 'Friend' }, xml('group', null, 'Work')))));
    const push = await alice.next((e) => e.is('iq') && e.attrs.type === 'set' && !!e.getChild('query', NS_ROSTER), 'the roster push');
    const pushed = push.getChild('query', NS_ROSTER)?.getChild('item');
    assert.equal(pushed?.attrs.jid, friend);
    assert.equal(pushed?.attrs.name, 'Friend');
    assert.equal(pushed?.attrs.subscription, 'none');
    assert.equal(pushed?.getChildText('group'), 'Work');

    const list = await alice.iq(xml('iq', { type: 'get' }, xml('query', { xmlns: NS_ROSTER })));
    assert.deepEqual(
      list.getChild('query', NS_ROSTER)?.getChildren('item').map((i) => i.attrs.jid),
      [friend],
    );

    await alice.iq(xml('iq', { type: 'set' }, xml('query', { xmlns: NS_ROSTER }, xml('item', { jid: friend, subscription: 'remove' }))));
    const removal = await alice.next((e) => e.is('iq') && e.attrs.type === 'set' && !!e.getChild('query', NS_ROSTER), 'the removal push');
    assert.equal(removal.getChild('query', NS_ROSTER)?.getChild('item')?.attrs.subscription, 'remove');
    const after = await alice.iq(xml('iq', { type: 'get' }, xml('query', { xmlns: NS_ROSTER })));
    assert.equal(after.getChild('query', NS_ROSTER)?.getChildren('item').length, 0);
  });

  test('a publisher cancelling a subscription stops its presence reaching that contact', T, async () => {
    const a = await account('alice');
    const b = await account('bob');
    const alice = await xmppjs(a);
    const bob = await xmppjs(b);
    await alice.send(xml('presence'));
    await bob.send(xml('presence'));

    await bob.send(xml('presence', { to: a.jid, type: 'subscribe' }));
    await alice.next((e) => e.is('presence') && e.attrs.type === 'subscribe' && from(e) === b.jid, 'bob asking');
    await alice.send(xml('presence', { to: b.jid, type: 'subscribed' }));
    await bob.next((e) => e.is('presence') && e.attrs.type === 'subscribed' && from(e) === a.jid, 'the approval');
    await bob.presence(alice.jid, undefined, "alice's presence after approval");

    await alice.send(xml('presence', null, xml('show', null, 'dnd')));
    const dnd = await bob.presence(alice.jid, undefined, "alice's dnd presence");
    assert.equal(dnd.getChildText('show'), 'dnd');

    // RFC 6121 §3.2: alice (the publisher) cancels bob's subscription.
    await alice.send(xml('presence', { to: b.jid, type: 'unsubscribed' }));
    await bob.next((e) => e.is('presence') && e.attrs.type === 'unsubscribed' && from(e) === a.jid, 'the cancellation');
    await bob.presence(alice.jid, 'unavailable', 'alice becoming unavailable to bob');

    await alice.send(xml('presence', null, xml('show', null, 'xa'), xml('status', null, 'secret')));
    await flushPresence(alice, bob);
    assert.deepEqual(
      bob.inbox.take((e) => e.is('presence') && from(e).startsWith(a.jid)).map(String),
      [],
      'bob gets no presence from alice after the cancellation',
    );
  });
});

describe('routing and server IQs', () => {
  test('a message to an unknown user bounces with service-unavailable', T, async () => {
    const a = await account('alice');
    const alice = await xmppjs(a);
    await alice.send(xml('message', { to: `nobody@${ts.domain}`, type: 'chat', id: 'lost' }, xml('body', null, 'anyone?')));
    const bounce = await alice.next((e) => e.is('message') && e.attrs.id === 'lost', 'the bounce');
    assert.equal(bounce.attrs.type, 'error');
    assert.equal(bounce.attrs.from, `nobody@${ts.domain}`);
    assert.equal(stanzaError(bounce), 'service-unavailable');
  });

  test('an IQ to an offline full JID gets service-unavailable', T, async () => {
    const a = await account('alice');
    const b = await account('bob');
    const alice = await xmppjs(a);
    await assert.rejects(
      alice.iq(xml('iq', { type: 'get', to: `${b.jid}/gone` }, xml('query', { xmlns: 'jabber:iq:version' }))),
      (err: Error & { condition?: string }) => err.condition === 'service-unavailable',
    );
  });

  test('the server answers disco#info with ping and version, ping, and version with its name', T, async () => {
    const a = await account('alice');
    const alice = await xmppjs(a);
    const info = await alice.iq(xml('iq', { type: 'get', to: ts.domain }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })));
    const features = info.getChild('query')?.getChildren('feature').map((f) => f.attrs.var) ?? [];
    assert.ok(features.includes('urn:xmpp:ping'), `features: ${features.join(', ')}`);
    assert.ok(features.includes('jabber:iq:version'), `features: ${features.join(', ')}`);
    assert.ok(info.getChild('query')?.getChild('identity'), 'an identity');
    await alice.ping(ts.domain);
    const version = await alice.iq(xml('iq', { type: 'get', to: ts.domain }, xml('query', { xmlns: 'jabber:iq:version' })));
    assert.equal(version.getChild('query')?.getChildText('name'), 'Parley');

    // The same answers as slixmpp parses them.
    const b = await account('bob');
    const bob = await slix(b);
    await bob.ping();
    const v = await bob.command({ cmd: 'version' });
    assert.equal(v.name, 'Parley');
    const disco = await bob.command({ cmd: 'disco_info' });
    assert.ok((disco.features as string[]).includes('urn:xmpp:ping'));
  });

  test('a second login with the same resource replaces the first with a conflict stream error', T, async () => {
    const a = await account('alice');
    // The first is on WebSocket, where the stream error travels as a framed message (RFC 7395 §3.3.3).
    const first = await xmppjs(a, { resource: 'phone', ws: true });
    const second = await xmppjs(a, { resource: 'phone' });
    assert.equal(await first.streamError('the conflict stream error'), 'conflict');
    assert.equal(second.jid, `${a.jid}/phone`);
    await second.ping();
  });
});
