// A real client library that implements SASL2, Bind2 and FAST (xmpp.js 0.14: @xmpp/sasl2,
// client-core bind2 and fast, @xmpp/sasl-ht-sha-256-none) against the embedded server: one
// request to log in and bind, a FAST token, reconnecting with it, and what happens to bad tokens.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import type { Client, FastToken } from '@xmpp/client';
import { startTestServer, type TestServer, uniqueName } from './harness/server.ts';
import { xml, type XmppJsClient, XmppJsClient as XmppJs } from './harness/xmppjs.ts';

const T = { timeout: 30_000 };
let ts: TestServer;
const open: XmppJsClient[] = [];

before(async () => {
  // This file fails logins from 127.0.0.1 on purpose, many times: the brute-force gate (tests/abuse-brute-force.test.ts) would slow them.
  ts = await startTestServer({ authFailuresBeforeDelay: 1000, authLockAfter: 1000 });
});
afterEach(async () => {
  for (const c of open.splice(0)) await c.stop();
});
after(async () => ts.stop());

async function account(prefix: string): Promise<{ user: string; password: string }> {
  const user = uniqueName(prefix);
  await ts.addUsers([user, `${user}-secret`]);
  return { user, password: `${user}-secret` };
}

const ua = (id: string) => xml('user-agent', { id }, xml('software', null, 'xmpp.js tests'), xml('device', null, 'CI'));

/** xmpp.js with SASL2 on; `token` is handed to its FAST store, and every token it saves is kept in `saved`. */
async function connect(a: { user: string; password: string }, o: { uaId: string; token?: FastToken; ws?: boolean }, saved: FastToken[] = []): Promise<XmppJsClient> {
  const setup = (xmpp: Client) => {
    let current = o.token ?? null;
    xmpp.fast.fetchToken = async () => current;
    xmpp.fast.saveToken = async (t) => {
      current = t;
      saved.push(t);
    };
    xmpp.fast.deleteToken = async () => {
      current = null;
    };
  };
  const c = await XmppJs.connect({
    service: o.ws ? `ws://127.0.0.1:${ts.ports.http}/xmpp-websocket` : `xmpp://127.0.0.1:${ts.ports.c2s}`,
    domain: ts.domain,
    username: a.user,
    password: a.password,
    resource: 'xmppjs',
    fingerprint: ts.server.fingerprint,
    sasl2: true,
    userAgent: ua(o.uaId),
    setup,
  });
  open.push(c);
  return c;
}

/** What the client sent between the SASL2 feature and its first stanza. */
const negotiation = (c: XmppJsClient) => c.sent.filter((s) => !s.startsWith('<iq') && !s.startsWith('<presence') && !s.startsWith('<message'));

describe('xmpp.js with SASL2, Bind2 and FAST', () => {
  test('logs in and binds in one <authenticate/>, enables stream management inline, and receives a FAST token', T, async () => {
    const a = await account('js');
    const saved: FastToken[] = [];
    const c = await connect(a, { uaId: 'js-ua-1' }, saved);
    assert.equal(c.mechanism, 'SCRAM-SHA-256', 'the SCRAM mechanism of the xmpp.js factory, through SASL2');
    assert.match(c.jid, new RegExp(`^${a.user}@${ts.domain}/xmppjs\\.[0-9a-f]{12}$`), 'Bind2 resource from the tag and the user agent');
    // No RFC 6120 bind IQ, no separate <enable/>: both went inside <authenticate/>.
    assert.equal(c.sent.filter((s) => s.includes('urn:ietf:params:xml:ns:xmpp-bind')).length, 0);
    const auth = c.sent.find((s) => s.startsWith('<authenticate'));
    assert.ok(auth?.includes('urn:xmpp:bind:0') && auth.includes('urn:xmpp:sm:3') && auth.includes('request-token'), auth);
    assert.ok(c.xmpp.streamManagement.enabled, 'XEP-0198 enabled inline');
    assert.equal(saved.length, 1);
    assert.equal(saved[0]?.mechanism, 'HT-SHA-256-NONE');
    assert.ok(new Date(saved[0]?.expiry ?? 0).getTime() > Date.now());
    await c.ping();
  });

  test('reconnects with the token alone (the password is wrong) in one round trip, keeping its resource', T, async () => {
    const a = await account('re');
    const saved: FastToken[] = [];
    const first = await connect(a, { uaId: 'js-ua-2' }, saved);
    const firstJid = first.jid;
    await first.stop();
    const token = saved[0];
    assert.ok(token);
    const again = await connect({ user: a.user, password: 'not-the-password' }, { uaId: 'js-ua-2', token });
    assert.equal(again.mechanism, 'HT-SHA-256-NONE');
    assert.equal(again.jid, firstJid, 'XEP-0386: the same user agent gets the same resource');
    // One round trip: the only negotiation element after STARTTLS is the <authenticate/>.
    const sent = negotiation(again).filter((s) => !s.startsWith('<starttls') && !s.startsWith('<r ') && !s.startsWith('<a '));
    assert.deepEqual(sent.map((s) => s.slice(0, s.indexOf(' '))), ['<authenticate']);
    await again.ping();
  });

  test('works over WebSocket, where only HT-SHA-256-NONE is possible', T, async () => {
    const a = await account('ws');
    const saved: FastToken[] = [];
    const first = await connect(a, { uaId: 'js-ws', ws: true }, saved);
    await first.stop();
    assert.ok(saved[0]);
    const again = await connect({ user: a.user, password: 'wrong' }, { uaId: 'js-ws', token: saved[0], ws: true });
    assert.equal(again.mechanism, 'HT-SHA-256-NONE');
    await again.ping();
  });

  test('a bad token fails with not-authorized and xmpp.js falls back to its password, getting a new token', T, async () => {
    const a = await account('bad');
    const saved: FastToken[] = [];
    const bogus: FastToken = { mechanism: 'HT-SHA-256-NONE', token: 'x'.repeat(88), expiry: new Date(Date.now() + 3600_000).toISOString() };
    const c = await connect(a, { uaId: 'js-bad', token: bogus }, saved);
    const failure = c.received.find((s) => s.startsWith('<failure'));
    assert.ok(failure?.includes('urn:xmpp:sasl:2') && failure.includes('<not-authorized'), failure);
    assert.equal(c.mechanism, 'SCRAM-SHA-256', 'then the password');
    assert.equal(saved.length, 1, 'and a fresh token');
  });

  test('a revoked token no longer logs in: with a wrong password the login fails with not-authorized', T, async () => {
    const a = await account('rev');
    const saved: FastToken[] = [];
    await (await connect(a, { uaId: 'js-rev' }, saved)).stop();
    const token = saved[0]!;
    assert.equal(await ts.server.store.fastTokens.revoke(a.user, ts.domain), 1);
    await assert.rejects(
      connect({ user: a.user, password: 'wrong' }, { uaId: 'js-rev', token }),
      (err: Error & { condition?: string }) => err.condition === 'not-authorized',
    );
  });

  test('a token near its expiry is rotated by the server; once the new one is used the old one is refused', T, async () => {
    const a = await account('rot');
    const saved: FastToken[] = [];
    await (await connect(a, { uaId: 'js-rot' }, saved)).stop();
    const old = saved[0]!;
    await ts.server.store.sql.query(`UPDATE fast_tokens SET expires_at = now() + interval '1 hour' WHERE username = $1`, [a.user]);
    // XEP-0484 §3.5: the success carries a new token, which xmpp.js stores.
    await (await connect({ user: a.user, password: 'wrong' }, { uaId: 'js-rot', token: old }, saved)).stop();
    assert.equal(saved.length, 2);
    const rotated = saved[1]!;
    assert.notEqual(rotated.token, old.token);
    await (await connect({ user: a.user, password: 'wrong' }, { uaId: 'js-rot', token: rotated })).stop();
    await assert.rejects(
      connect({ user: a.user, password: 'wrong' }, { uaId: 'js-rot', token: old }),
      (err: Error & { condition?: string }) => err.condition === 'not-authorized',
    );
  });
});
