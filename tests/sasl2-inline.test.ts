// "Login, bind, carbons, stream management and CSI in one round trip" (issue 10 item 3), byte by
// byte over a raw socket: XEP-0352 <inactive/> inside Bind2 (XEP-0386 §2.3), and XEP-0198 stream
// resumption inside SASL2 <authenticate/> (XEP-0388 §2.3 inline features): <resumed/> inside
// <success/> followed by exactly the stanzas the client had not acknowledged, or <failed/> and the
// client's Bind2 request honoured. Then xmpp.js 0.14, which resumes through SASL2 by itself.
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { type Element, xml } from '@parley/xml';
import { flush } from './harness/flush.ts';
import { NS, newId, RawClient } from './harness/raw.ts';
import { BIND2, conditionOf, SASL2, scramSasl2, secureRaw, userAgent } from './harness/sasl2.ts';
import { startTestServer, type TestServer, uniqueName } from './harness/server.ts';
import { XmppJsClient } from './harness/xmppjs.ts';

const T = { timeout: 30_000 };
const SM = 'urn:xmpp:sm:3';
const CSI = 'urn:xmpp:csi:0';
const CARBONS = 'urn:xmpp:carbons:2';
const CHATSTATES = 'http://jabber.org/protocol/chatstates';
let ts: TestServer;

before(async () => {
  ts = await startTestServer({ smResumeTimeoutSec: 30 });
});
after(async () => ts.stop());

async function account(prefix: string): Promise<string> {
  const name = uniqueName(prefix);
  await ts.addUsers([name, `pw-${name}`]);
  return name;
}

const bind = (tag: string, ...inline: Element[]) => xml('bind', { xmlns: BIND2 }, xml('tag', null, tag), ...inline);
const resume = (previd: string, h: number) => xml('resume', { xmlns: SM, previd, h: String(h) });
const names = (el: Element | null | undefined) => (el?.getChildElements() ?? []).map((e) => `{${e.getNS()}}${e.name}`);
const isStanza = (e: Element) => e.name === 'message' || e.name === 'presence' || e.name === 'iq';

/** A secure raw client that logs the stanzas it receives, in order (its XEP-0198 `h` is a position in it). */
async function countingRaw(): Promise<{ c: RawClient; features: Element; log: Element[]; seen: Element[] }> {
  const { c, features } = await secureRaw(ts.ports.c2s, ts.domain);
  const log: Element[] = [];
  /** Every element, nonzas included, in order. */
  const seen: Element[] = [];
  const push = c.inbox.push.bind(c.inbox);
  c.inbox.push = (el: Element) => {
    if (isStanza(el)) log.push(el);
    seen.push(el);
    push(el);
  };
  return { c, features, log, seen };
}

/** A dead network: the socket goes without a stream close, so the session is kept for resumption. */
const drop = (c: RawClient) => (c as unknown as { socket: Socket }).socket.destroy();

const chat = (to: string, body: string) => xml('message', { to, type: 'chat', id: newId() }, xml('body', null, body));
const chatState = (to: string, state: string) => xml('message', { to, type: 'chat', id: newId() }, xml(state, { xmlns: CHATSTATES }));

/** Bodies (or chat states) of the messages in a client's log from `from`, in order. */
function messagesIn(log: Element[], from: string): string[] {
  return log
    .filter((e) => e.is('message') && (e.attr('from') ?? '').startsWith(from))
    .map((e) => e.getChildText('body') ?? `state:${e.getChildElements().find((x) => x.getNS() === CHATSTATES)?.name}`);
}

describe('SASL2 inline features', () => {
  test('the SASL2 <inline/> lists XEP-0198 <sm/>, and Bind2 lists CSI among its inline features', T, async () => {
    const { c, features } = await secureRaw(ts.ports.c2s, ts.domain);
    const inline = features.getChild('authentication', SASL2)!.getChild('inline')!;
    assert.ok(inline.getChild('sm', SM), 'XEP-0198 resumption inside SASL2');
    const vars = inline.getChild('bind', BIND2)!.getChild('inline')!.getChildren('feature').map((f) => f.attr('var'));
    assert.deepEqual(
      [CARBONS, SM, CSI].filter((v) => vars.includes(v)),
      [CARBONS, SM, CSI],
      `Bind2 inline features: ${vars}`,
    );
    c.close();
  });
});

describe('XEP-0352 inside Bind2', () => {
  test('one round trip: login, bind, carbons, stream management and <inactive/>; chat states are then held and coalesced', T, async () => {
    const user = await account('csi-inl');
    const peer = await account('csi-peer');
    const { c, log } = await countingRaw();
    const r = await scramSasl2(c, user, `pw-${user}`, [
      userAgent('csi-inline-ua'),
      bind('app', xml('enable', { xmlns: CARBONS }), xml('enable', { xmlns: SM, resume: 'true' }), xml('inactive', { xmlns: CSI })),
    ]);
    assert.equal(conditionOf(r), 'success');
    c.jid = r.outcome.getChildText('authorization-identifier') ?? '';
    assert.deepEqual(names(r.outcome.getChild('bound', BIND2)), [`{${SM}}enabled`], 'CSI puts nothing into <bound/>');
    // What was enabled inline is not offered again.
    assert.equal(r.features?.getChild('csi', CSI), undefined);
    assert.equal(r.features?.getChild('sm', SM), undefined);
    assert.equal(r.features?.getChild('bind', NS.bind), undefined);

    c.send(xml('presence'));
    const sender = await RawClient.login(ts.ports.c2s, peer, `pw-${peer}`, 'desk');
    sender.send(chatState(c.jid, 'composing'));
    sender.send(chatState(c.jid, 'paused'));
    sender.send(chat(c.jid, 'urgent'));
    await c.next((e) => e.is('message') && e.getChildText('body') === 'urgent', 'the message with a body, at once');
    // Inactive from the start: only the latest chat state, written just before the message.
    assert.deepEqual(messagesIn(log, `${peer}@`), ['state:paused', 'urgent']);

    // <active/> on the stream ends it: a chat state now goes out at once.
    c.send(xml('active', { xmlns: CSI }));
    sender.send(chatState(c.jid, 'composing'));
    await c.next((e) => e.is('message') && e.getChild('composing', CHATSTATES) !== undefined, 'a chat state while active');
    sender.close();
    c.close();
  });

  test('<active/> inside Bind2 (the default) holds nothing', T, async () => {
    const user = await account('csi-act');
    const peer = await account('csi-peer2');
    const { c, log } = await countingRaw();
    const r = await scramSasl2(c, user, `pw-${user}`, [userAgent('csi-active-ua'), bind('app', xml('active', { xmlns: CSI }))]);
    assert.equal(conditionOf(r), 'success');
    c.jid = r.outcome.getChildText('authorization-identifier') ?? '';
    c.send(xml('presence'));
    const sender = await RawClient.login(ts.ports.c2s, peer, `pw-${peer}`, 'desk');
    sender.send(chatState(c.jid, 'composing'));
    sender.send(chatState(c.jid, 'paused'));
    sender.send(chat(c.jid, 'hello'));
    await c.next((e) => e.is('message') && e.getChildText('body') === 'hello', 'the message');
    assert.deepEqual(messagesIn(log, `${peer}@`), ['state:composing', 'state:paused', 'hello']);
    sender.close();
    c.close();
  });
});

describe('XEP-0198 resumption inside SASL2', () => {
  /** SASL2 login with Bind2 and resumable stream management; returns the stream id and full JID. */
  async function resumable(user: string, ua: string) {
    const cl = await countingRaw();
    const r = await scramSasl2(cl.c, user, `pw-${user}`, [userAgent(ua), bind('phone', xml('enable', { xmlns: SM, resume: 'true' }))]);
    assert.equal(conditionOf(r), 'success');
    const enabled = r.outcome.getChild('bound', BIND2)?.getChild('enabled', SM);
    assert.equal(enabled?.attr('resume'), 'true');
    cl.c.jid = r.outcome.getChildText('authorization-identifier') ?? '';
    return { ...cl, previd: enabled?.attr('id') ?? '', jid: cl.c.jid };
  }

  test('<resume/> in <authenticate/>: <resumed/> inside <success/>, the same full JID, no bind, then exactly the unacknowledged stanzas', T, async () => {
    const user = await account('res-inl');
    const peer = await account('res-peer');
    const first = await resumable(user, 'resume-ua');
    const sender = await RawClient.login(ts.ports.c2s, peer, `pw-${peer}`, 'desk');
    // The client sends one stanza (its presence) and receives what follows.
    first.c.send(xml('presence'));
    for (const body of ['m1', 'm2', 'm3']) sender.send(chat(first.jid, body));
    await first.c.next((e) => e.is('message') && e.getChildText('body') === 'm3', 'the third message');
    // It acknowledges what it received up to m1; it had handled up to m2 when the network died.
    const upTo = (body: string) => first.log.findIndex((e) => e.is('message') && e.getChildText('body') === body) + 1;
    first.c.send(xml('a', { xmlns: SM, h: String(upTo('m1')) }));
    const h2 = upTo('m2');
    await flush(sender);
    drop(first.c);
    await first.c.closed;
    // While detached: queued for the session.
    sender.send(chat(first.jid, 'm4'));
    await flush(sender);

    const second = await countingRaw();
    const r = await scramSasl2(second.c, user, `pw-${user}`, [userAgent('resume-ua'), resume(first.previd, h2), bind('phone', xml('enable', { xmlns: SM, resume: 'true' }))]);
    assert.equal(conditionOf(r), 'success');
    assert.equal(r.outcome.getChildText('authorization-identifier'), first.jid, 'XEP-0388 §2.6.1: the resumed session full JID');
    const resumed = r.outcome.getChild('resumed', SM);
    assert.ok(resumed, `<resumed/> inside <success/>: ${r.outcome}`);
    assert.equal(resumed.attr('previd'), first.previd);
    assert.equal(resumed.attr('h'), '1', 'the server handled the one stanza the client sent');
    assert.equal(r.outcome.getChild('bound', BIND2), undefined, 'a resumed session is not bound again');
    assert.equal(r.features?.getChild('bind', NS.bind), undefined);
    assert.equal(r.features?.getChild('sm', SM), undefined);
    second.c.jid = first.jid;
    // The old stream's stanzas the client's h did not cover (m3), then what queued while detached (m4).
    await second.c.next((e) => e.is('message') && e.getChildText('body') === 'm4', 'the queued message');
    sender.send(chat(first.jid, 'm5'));
    await second.c.next((e) => e.is('message') && e.getChildText('body') === 'm5', 'a message after resumption');
    await flush(second.c);
    assert.deepEqual(messagesIn(second.log, `${peer}@`), ['m3', 'm4', 'm5'], 'each unacknowledged stanza once, in order, and nothing acknowledged');
    // Nothing precedes <success/> and its features: the backlog comes after them.
    const order = second.seen.map((e) => (e.is('success', SASL2) ? 'success' : e.is('features', NS.stream) ? 'features' : e.is('message') ? 'message' : null)).filter((x) => x !== null);
    assert.deepEqual(order.slice(0, 3), ['success', 'features', 'message']);
    // Stream management goes on counting from the resumed state.
    second.c.send(xml('r', { xmlns: SM }));
    const a = await second.c.next((e) => e.is('a', SM), 'an answer to <r/>');
    assert.equal(a.attr('h'), '2', 'the presence before, and the ping after resumption');
    sender.close();
    second.c.close();
  });

  test('resumption without a Bind2 request: <resumed/>, the full JID, and features without resource binding', T, async () => {
    const user = await account('res-nob');
    const peer = await account('res-nob-peer');
    const first = await resumable(user, 'nobind-ua');
    const sender = await RawClient.login(ts.ports.c2s, peer, `pw-${peer}`, 'desk');
    first.c.send(xml('presence'));
    sender.send(chat(first.jid, 'kept'));
    await first.c.next((e) => e.is('message') && e.getChildText('body') === 'kept', 'the message');
    const h = first.log.length - 1; // everything but the last message
    drop(first.c);
    await first.c.closed;
    const second = await countingRaw();
    const r = await scramSasl2(second.c, user, `pw-${user}`, [userAgent('nobind-ua'), resume(first.previd, h)]);
    assert.equal(r.outcome.getChildText('authorization-identifier'), first.jid);
    assert.ok(r.outcome.getChild('resumed', SM));
    assert.equal(r.features?.getChild('bind', NS.bind), undefined, 'nothing left to bind');
    second.c.jid = first.jid;
    await flush(second.c);
    assert.deepEqual(messagesIn(second.log, `${peer}@`), ['kept'], 'the one stanza h did not cover');
    sender.close();
    second.c.close();
  });

  test('an unknown previd: <failed/> with item-not-found inside <success/>, and the Bind2 request binds a new session', T, async () => {
    const user = await account('res-unk');
    const { c } = await secureRaw(ts.ports.c2s, ts.domain);
    const r = await scramSasl2(c, user, `pw-${user}`, [userAgent('unknown-ua'), resume('no-such-stream', 3), bind('phone', xml('enable', { xmlns: SM, resume: 'true' }))]);
    assert.equal(conditionOf(r), 'success');
    assert.deepEqual(names(r.outcome.getChild('failed', SM)), [`{${NS.stanzas}}item-not-found`]);
    const jid = r.outcome.getChildText('authorization-identifier') ?? '';
    assert.match(jid, new RegExp(`^${user}@${ts.domain}/phone\\.`), 'bound by Bind2');
    assert.ok(r.outcome.getChild('bound', BIND2)?.getChild('enabled', SM), 'stream management enabled afresh');
    c.jid = jid;
    await c.ping();
    c.close();
  });

  test("another account's stream is item-not-found; without Bind2 the client gets the bare JID and binds as usual", T, async () => {
    const owner = await account('res-own');
    const thief = await account('res-thief');
    const victim = await resumable(owner, 'owner-ua');
    const { c } = await secureRaw(ts.ports.c2s, ts.domain);
    const r = await scramSasl2(c, thief, `pw-${thief}`, [userAgent('thief-ua'), resume(victim.previd, 0)]);
    assert.equal(conditionOf(r), 'success');
    assert.deepEqual(names(r.outcome.getChild('failed', SM)), [`{${NS.stanzas}}item-not-found`], 'no hint that the stream exists');
    assert.equal(r.outcome.getChildText('authorization-identifier'), `${thief}@${ts.domain}`);
    assert.ok(r.features?.getChild('bind', NS.bind), 'RFC 6120 binding is offered');
    assert.equal(await c.bind('classic'), `${thief}@${ts.domain}/classic`);
    // The owner's stream was not touched.
    await victim.c.ping();
    c.close();
    victim.c.close();
  });

  test('a <resume/> without previd or with a bad h is <failed/> bad-request; authentication still succeeds', T, async () => {
    const user = await account('res-bad');
    for (const bad of [xml('resume', { xmlns: SM, h: '1' }), xml('resume', { xmlns: SM, previd: 'x', h: '-1' }), xml('resume', { xmlns: SM, previd: 'x', h: 'many' })]) {
      const { c } = await secureRaw(ts.ports.c2s, ts.domain);
      const r = await scramSasl2(c, user, `pw-${user}`, [userAgent('bad-ua'), bad, bind('app')]);
      assert.equal(conditionOf(r), 'success');
      assert.deepEqual(names(r.outcome.getChild('failed', SM)), [`{${NS.stanzas}}bad-request`], `${bad}`);
      c.jid = r.outcome.getChildText('authorization-identifier') ?? '';
      await c.ping();
      c.close();
    }
  });
});

describe('xmpp.js 0.14 resumes through SASL2', () => {
  test('a lost socket reconnects with <resume/> inside <authenticate/>; the queued message arrives once', T, async () => {
    const user = await account('res-js');
    const peer = await account('res-js-peer');
    const alice = await XmppJsClient.connect({
      service: `xmpp://127.0.0.1:${ts.ports.c2s}`,
      domain: ts.domain,
      username: user,
      password: `pw-${user}`,
      resource: 'js',
      fingerprint: ts.server.fingerprint,
      sasl2: true,
    });
    const sender = await RawClient.login(ts.ports.c2s, peer, `pw-${peer}`, 'desk');
    const xmpp = alice.xmpp as unknown as {
      streamManagement: { id: string; enabled: boolean; once(ev: string, f: () => void): void };
      reconnect: { start(): void; stop(): void };
      socket: { socket?: { destroy(): void }; destroy?(): void };
      jid: { toString(): string };
    };
    try {
      const sm = xmpp.streamManagement;
      assert.ok(sm.enabled && sm.id, 'xmpp.js enabled resumable stream management inside Bind2');
      const jid = alice.jid;
      sender.send(chat(jid, 'one'));
      await alice.message(`${peer}@`, 'the first message');
      const resumed = new Promise<void>((r) => sm.once('resumed', r));
      xmpp.reconnect.start();
      sender.send(chat(jid, 'two'));
      await flush(sender);
      (xmpp.socket.socket ?? (xmpp.socket as { destroy(): void })).destroy();
      await resumed;
      const auth = alice.sent.filter((s) => s.startsWith('<authenticate')).at(-1) ?? '';
      assert.match(auth, /<resume xmlns="urn:xmpp:sm:3"/, 'the resumption went inside SASL2');
      assert.ok(alice.received.some((s) => s.startsWith('<success') && s.includes('<resumed')), '<resumed/> inside <success/>');
      assert.equal(xmpp.jid.toString(), jid, 'the same full JID');
      const two = await alice.message(`${peer}@`, 'the queued message');
      assert.equal(two.getChildText('body'), 'two');
      sender.send(chat(jid, 'three'));
      const three = await alice.message(`${peer}@`, 'a message after resumption');
      assert.equal(three.getChildText('body'), 'three');
      await alice.ping();
      assert.deepEqual(alice.inbox.take((e) => e.is('message')).map((e) => e.getChildText('body')), [], 'nothing twice');
    } finally {
      xmpp.reconnect.stop();
      sender.close();
      await alice.stop();
    }
  });
});
