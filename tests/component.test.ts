// External components (XEP-0114) with slixmpp's ComponentXMPP (Debian python3-slixmpp) talking to an
// xmpp.js client through the server, and a raw socket for what a real component never sends: a
// wrong secret, an unregistered domain, a second connection, a `from` outside its domain, a peer
// that is not on loopback.
import assert from 'node:assert/strict';
import { networkInterfaces } from 'node:os';
import { after, before, describe, test } from 'node:test';
import { componentCommand } from '@parley/cli';
import { createLogger } from '@parley/log';
import { handshakeDigest, NS_COMPONENT } from '@parley/s2s';
import { flush } from './harness/flush.ts';
import { DrivenClient } from './harness/driven.ts';
import { NS, RawClient } from './harness/raw.ts';
import { startTestServer, type TestServer } from './harness/server.ts';
import { XmppJsClient, xml } from './harness/xmppjs.ts';

const T = { timeout: 30_000 };
let ts: TestServer;
let alice: XmppJsClient;
let gw: string;
const secrets: Record<string, string> = {};

/** `parley component add|del` as the CLI runs it on a database no server holds (here: the test server's). */
async function component(sub: 'add' | 'del', domain: string, secret?: string): Promise<string[]> {
  const lines: string[] = [];
  const io = { remote: false, call: async () => ({}), withStore: <R>(fn: (s: typeof ts.server.store) => Promise<R>) => fn(ts.server.store), log: createLogger({ level: 'silent' }) };
  await componentCommand(ts.server.config, sub, domain, secret === undefined ? {} : { secret }, io, (l) => lines.push(l));
  return lines;
}

/** A component stream over a raw socket, up to the server's header; returns the stream id. */
async function rawComponent(domain: string, localAddress?: string): Promise<{ c: RawClient; id: string }> {
  const c = await RawClient.open(ts.ports.component, domain, localAddress);
  // XEP-0114 §3: a component's header has no version.
  c.send(`<?xml version='1.0'?><stream:stream xmlns='${NS_COMPONENT}' xmlns:stream='${NS.stream}' to='${domain}'>`);
  for (let i = 0; c.header === null && !c.streamEnded && i < 500; i++) await new Promise((r) => setTimeout(r, 10));
  return { c, id: c.header?.id ?? '' };
}

async function handshake(domain: string, secret: string): Promise<RawClient> {
  const { c, id } = await rawComponent(domain);
  c.send(`<handshake>${handshakeDigest(id, secret)}</handshake>`);
  await c.next((e) => e.is('handshake', NS_COMPONENT), 'the handshake accepted');
  return c;
}

class SlixComponent extends DrivenClient {
  static async connect(jid: string, secret: string, port: number, echo = false): Promise<SlixComponent> {
    const c = await SlixComponent.start('slix_component.py', `component ${jid}`);
    await c.command({ cmd: 'connect', jid, secret, port, echo }, 15_000);
    return c;
  }
}

before(async () => {
  ts = await startTestServer();
  gw = `gw.${ts.domain}`;
  await ts.addUsers(['alice', 'pw-alice']);
  alice = await XmppJsClient.connect({ service: `xmpp://127.0.0.1:${ts.ports.c2s}`, domain: ts.domain, username: 'alice', password: 'pw-alice', fingerprint: ts.server.fingerprint });
  // Available, so messages to her bare JID reach this session (RFC 6121 §8.5.2.1).
  await alice.send(xml('presence'));
  const added = await component('add', gw);
  secrets[gw] = added.find((l) => l.startsWith('secret (shown only now): '))!.slice('secret (shown only now): '.length);
  for (const d of [`bots.${ts.domain}`, `idle.${ts.domain}`]) {
    secrets[d] = `secret-of-${d}-0123456789`;
    await component('add', d, secrets[d]);
  }
});
after(async () => {
  await alice?.stop();
  await ts?.stop();
});

describe('external components (XEP-0114)', () => {
  test('a slixmpp component answers an xmpp.js user, and writes to her first', T, async () => {
    const bot = await SlixComponent.connect(gw, secrets[gw]!, ts.ports.component, true);
    try {
      await alice.send(xml('message', { to: `echo@${gw}`, type: 'chat' }, xml('body', {}, 'hello gateway')));
      const m = await alice.message(`echo@${gw}`, 'the echo');
      assert.equal(m.getChildText('body'), 'echo: hello gateway');
      const seen = await bot.inbox.next((e) => e.event === 'message' && e.body === 'hello gateway', 'the message at the component');
      assert.match(String(seen.from), new RegExp(`^alice@${ts.domain}/`));
      await bot.command({ cmd: 'send_message', from: `news@${gw}`, to: `alice@${ts.domain}`, body: 'breaking' });
      const pushed = await alice.message(`news@${gw}`, 'the component’s own message');
      assert.equal(pushed.getChildText('body'), 'breaking');
    } finally {
      await bot.stop();
    }
  });

  test('the server lists registered components in its disco#items', T, async () => {
    const r = await alice.iq(xml('iq', { type: 'get', to: ts.domain }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#items' })));
    const items = r.getChild('query')!.getChildren('item').map((i) => i.attrs.jid as string);
    for (const d of [gw, `bots.${ts.domain}`, `idle.${ts.domain}`]) assert.ok(items.includes(d), `${d} in ${items.join(', ')}`);
  });

  test('a component that is not connected is service-unavailable to the sender', T, async () => {
    await alice.send(xml('message', { to: `someone@idle.${ts.domain}`, id: 'nc1' }, xml('body', {}, 'anyone?')));
    const err = await alice.next((e) => e.is('message') && e.attrs.id === 'nc1' && e.attrs.type === 'error', 'the bounce');
    assert.ok(err.getChild('error')!.getChild('service-unavailable'), err.toString());
  });

  test('a wrong secret is refused with not-authorized', T, async () => {
    const bad = await SlixComponent.start('slix_component.py', 'component with a wrong secret');
    try {
      await assert.rejects(bad.command({ cmd: 'connect', jid: gw, secret: 'not-the-secret', port: ts.ports.component }, 15_000), /not-authorized/);
    } finally {
      await bad.stop();
    }
  });

  test('an unregistered domain is refused with host-unknown', T, async () => {
    const { c, id } = await rawComponent(`nobody.${ts.domain}`);
    c.send(`<handshake>${handshakeDigest(id, 'whatever-secret')}</handshake>`);
    assert.equal(await c.streamError(), 'host-unknown');
  });

  test('a second connection for a connected component gets conflict, and the first keeps working', T, async () => {
    const first = await handshake(`bots.${ts.domain}`, secrets[`bots.${ts.domain}`]!);
    const { c: second, id } = await rawComponent(`bots.${ts.domain}`);
    second.send(`<handshake>${handshakeDigest(id, secrets[`bots.${ts.domain}`]!)}</handshake>`);
    assert.equal(await second.streamError(), 'conflict');
    await alice.send(xml('message', { to: `a@bots.${ts.domain}` }, xml('body', {}, 'still there?')));
    const got = await first.next((e) => e.is('message', NS_COMPONENT), 'the message on the first connection');
    assert.equal(got.getChildText('body'), 'still there?');
    first.close();
    await first.closed;
  });

  test('a stanza from outside the component’s domain ends its stream with invalid-from and reaches nobody', T, async () => {
    const c = await handshake(`bots.${ts.domain}`, secrets[`bots.${ts.domain}`]!);
    c.send(`<message xmlns='${NS_COMPONENT}' from='admin@${ts.domain}' to='alice@${ts.domain}'><body>spoofed</body></message>`);
    assert.equal(await c.streamError(), 'invalid-from');
    // Had it been routed, it would be in alice's inbox before the answer to her ping.
    await flush(alice);
    await assert.rejects(alice.next((e) => e.is('message') && e.getChildText('body') === 'spoofed', 'a spoofed message', 50));
  });

  test('a component connecting from an address that is not loopback is refused without TLS', T, async () => {
    const address = Object.values(networkInterfaces()).flat().find((a) => a && a.family === 'IPv4' && !a.internal)?.address;
    assert.ok(address, 'this host needs a non-loopback IPv4 address for the test');
    const { c } = await rawComponent(gw, address);
    assert.equal(await c.streamError(), 'policy-violation');
  });
});
