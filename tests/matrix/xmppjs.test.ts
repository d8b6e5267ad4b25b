// Client matrix (issue 14): xmpp.js (@xmpp/client from npm) with its default settings — its own
// SCRAM-SHA-1, stream management on — over STARTTLS and over WebSocket (RFC 7395).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startTestServer, type TestServer } from '../harness/server.ts';
import { XmppJsClient, xml } from '../harness/xmppjs.ts';
import { type Account, type ClientUnderTest, converse, embedded } from './conversation.ts';
import { formatRequests } from './requests.ts';

let ts: TestServer;
before(async () => {
  ts = await startTestServer();
});
after(() => ts.stop());

/** xmpp.js is a library: the "app" here sends initial presence and answers requests as any app would. */
async function xmppjs(service: string, a: Account): Promise<ClientUnderTest> {
  const c = await XmppJsClient.connect({
    service,
    domain: ts.domain,
    username: a.user,
    password: a.password,
    resource: 'xmppjs',
    fingerprint: ts.server.fingerprint,
    scram: 'sha1', // xmpp.js's own mechanism: no SCRAM-SHA-256 added
  });
  await c.send(xml('presence'));
  const chat = (from: string) => (e: { is(n: string): boolean; attrs: Record<string, string | undefined> }) => e.is('message') && e.attrs.from === from;
  return {
    jid: c.jid,
    mechanism: c.mechanism,
    subscribe: (to) => c.send(xml('presence', { to, type: 'subscribe' })),
    approve: (to) => c.send(xml('presence', { to, type: 'subscribed' })),
    subscriptionRequest: async (from) => void (await c.presence(from, 'subscribe', `a subscription request from ${from}`)),
    available: async (from) => void (await c.next((e) => e.is('presence') && e.attrs.from === from && e.attrs.type === undefined, `available presence from ${from}`)),
    sendMessage: (to, body) => c.send(xml('message', { to, type: 'chat' }, xml('body', null, body))),
    messageFrom: async (from) => (await c.next(chat(from), `a message from ${from}`)).getChildText('body') ?? '',
    traffic: async () => ({ sent: [...c.sent], received: [...c.received] }),
    disconnect: () => c.stop(),
    stop: () => c.stop(),
  };
}

test('xmpp.js over STARTTLS logs in, subscribes both ways, chats and is seen leaving', { timeout: 20_000 }, async (t) => {
  const r = await converse(embedded(ts), (a) => xmppjs(`xmpp://127.0.0.1:${ts.ports.c2s}`, a));
  assert.equal(r.mechanism, 'SCRAM-SHA-1');
  t.diagnostic(`requests:\n${formatRequests(r.requests)}`);
});

test('xmpp.js over WebSocket logs in, subscribes both ways, chats and is seen leaving', { timeout: 20_000 }, async (t) => {
  const r = await converse(embedded(ts), (a) => xmppjs(`ws://127.0.0.1:${ts.ports.http}/xmpp-websocket`, a));
  assert.equal(r.mechanism, 'SCRAM-SHA-1');
  t.diagnostic(`requests:\n${formatRequests(r.requests)}`);
});
