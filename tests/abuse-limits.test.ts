// Abuse limits (issue 9 item 1, docs/security.md) over raw sockets: each limit refuses with the
// RFC 6120 error it documents (a stanza error of type wait, or a stream error where the stream
// must close), is counted in /metrics, and leaves other clients served.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Element, xml } from '@parley/xml';
import { NS, newId, RawClient, stanzaErrorCondition, streamHeader } from './harness/raw.ts';
import { startTestServer, type TestServer } from './harness/server.ts';

const T = { timeout: 30_000 };
const OTHER_ADDRESS = '127.0.0.2';

async function refusedCount(ts: TestServer, limit: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${ts.ports.http}/metrics`)).text();
  const m = new RegExp(`^parley_limit_refused_total\\{limit="${limit}"\\} (\\d+)`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
}

function errorType(el: Element): string | undefined {
  return el.getChild('error')?.attr('type');
}

/** Send `n` pings at once; returns the replies in order. */
async function pingBurst(c: RawClient, n: number): Promise<Element[]> {
  const ids = Array.from({ length: n }, () => newId());
  for (const id of ids) c.send(xml('iq', { type: 'get', id, to: 'localhost' }, xml('ping', { xmlns: NS.ping })));
  const out: Element[] = [];
  for (const id of ids) out.push(await c.next((e) => e.is('iq') && e.attr('id') === id, `reply to ${id}`));
  return out;
}

describe('stanza limits', () => {
  let ts: TestServer;
  const open: RawClient[] = [];
  before(async () => {
    ts = await startTestServer({ limitStanzasPerSec: 5, limitAccountStanzasPerSec: 8, limitSubscriptionsPerMin: 3, limitRosterWritesPerMin: 2 });
    await ts.addUsers(['flooder', 'pw'], ['twin', 'pw'], ['subscriber', 'pw'], ['writer', 'pw'], ['bystander', 'pw']);
  });
  after(async () => {
    for (const c of open) c.close();
    await ts.stop();
  });
  const login = async (user: string, resource = 'r') => {
    const c = await RawClient.login(ts.ports.c2s, user, 'pw', resource);
    open.push(c);
    return c;
  };

  test('stanzas over the per-connection rate are refused with policy-violation of type wait, and counted', T, async () => {
    const c = await login('flooder');
    const bystander = await login('bystander');
    const before = await refusedCount(ts, 'connection-stanzas');
    const replies = await pingBurst(c, 30); // burst is 15 (3 s at 5/s)
    const refused = replies.filter((r) => r.attr('type') === 'error');
    assert.ok(refused.length >= 10, `${refused.length} refused`);
    for (const r of refused) {
      assert.equal(stanzaErrorCondition(r), 'policy-violation');
      assert.equal(errorType(r), 'wait');
    }
    assert.ok(replies.slice(0, 15).every((r) => r.attr('type') === 'result'), 'the burst itself is served');
    assert.ok((await refusedCount(ts, 'connection-stanzas')) >= before + refused.length);
    await bystander.ping(); // another account is not affected
  });

  test('the per-account rate counts all the account’s connections together', T, async () => {
    const a = await login('twin', 'one');
    const b = await login('twin', 'two');
    const before = await refusedCount(ts, 'account-stanzas');
    // 15 from each connection: each within its own burst of 15, together over the account's 24.
    const [ra, rb] = await Promise.all([pingBurst(a, 15), pingBurst(b, 15)]);
    const refused = [...ra, ...rb].filter((r) => r.attr('type') === 'error');
    assert.ok(refused.length > 0, 'some are refused');
    for (const r of refused) assert.equal(stanzaErrorCondition(r), 'policy-violation');
    assert.ok((await refusedCount(ts, 'account-stanzas')) > before);
  });

  test('subscription requests over the per-minute limit are refused with policy-violation', T, async () => {
    const c = await login('subscriber');
    const answers: Element[] = [];
    for (let i = 0; i < 5; i++) c.send(xml('presence', { type: 'subscribe', to: `contact${i}@localhost`, id: `s${i}` }));
    const errors = await c.next((e) => e.is('presence') && e.attr('type') === 'error', 'a refused subscription');
    answers.push(errors);
    assert.equal(stanzaErrorCondition(errors), 'policy-violation');
    assert.equal(errorType(errors), 'wait');
    assert.equal(errors.attr('id'), 's3', 'the first three went through');
    assert.ok((await refusedCount(ts, 'subscriptions')) >= 1);
  });

  test('roster writes over the per-minute limit get resource-constraint of type wait', T, async () => {
    const c = await login('writer');
    const set = (i: number) => xml('iq', { type: 'set' }, xml('query', { xmlns: NS.roster }, xml('item', { jid: `friend${i}@localhost` })));
    assert.equal((await c.iq(set(1))).attr('type'), 'result');
    assert.equal((await c.iq(set(2))).attr('type'), 'result');
    const third = await c.iq(set(3));
    assert.equal(stanzaErrorCondition(third), 'resource-constraint');
    assert.equal(errorType(third), 'wait');
    assert.ok((await refusedCount(ts, 'roster-writes')) >= 1);
    await c.rosterGet(); // reads are not writes
  });
});

describe('connection limits and stalled connections', () => {
  let ts: TestServer;
  const open: RawClient[] = [];
  before(async () => {
    ts = await startTestServer({ limitConnectionsPerSec: 1, limitUnauthenticated: 6, streamHeaderTimeoutSec: 2 });
    await ts.addUsers(['alice', 'pw'], ['bob', 'pw'], ['carol', 'pw']);
  });
  after(async () => {
    for (const c of open) c.close();
    await ts.stop();
  });

  test('half-open connections are capped per address and closed after the header deadline, while others are served', T, async () => {
    // Logged in before the attack: alice and bob chat throughout.
    const alice = await RawClient.login(ts.ports.c2s, 'alice', 'pw', 'a');
    const bob = await RawClient.login(ts.ports.c2s, 'bob', 'pw', 'b');
    open.push(alice, bob);
    alice.send(xml('presence'));
    bob.send(xml('presence'));
    const stalled: RawClient[] = [];
    for (let i = 0; i < 6; i++) {
      const c = await RawClient.open(ts.ports.c2s);
      c.send('<?xml version="1.0"?><stream:str'); // a header that never completes
      stalled.push(c);
      open.push(c);
    }
    // The cap: the next unauthenticated connection from this address is refused with a stream error.
    const extra = await RawClient.open(ts.ports.c2s);
    open.push(extra);
    assert.equal(await extra.streamError(), 'policy-violation');
    // Meanwhile alice and bob keep chatting, and carol logs in from another address.
    bob.send(xml('message', { to: 'alice@localhost/a', type: 'chat', id: 'm1' }, xml('body', null, 'still here?')));
    const got = await alice.next((e) => e.is('message') && e.attr('id') === 'm1', 'bob’s message');
    assert.equal(got.getChildText('body'), 'still here?');
    const carol = await RawClient.login(ts.ports.c2s, 'carol', 'pw', 'c', 'localhost', OTHER_ADDRESS);
    open.push(carol);
    await carol.ping();
    // The stalled ones are closed at the deadline with connection-timeout (RFC 6120 §4.9.3.4).
    for (const c of stalled) assert.equal(await c.streamError(10_000), 'connection-timeout');
    assert.ok((await refusedCount(ts, 'header-timeout')) >= 6);
    assert.ok((await refusedCount(ts, 'unauthenticated')) >= 1);
    await alice.ping();
  });

  test('new connections over the per-address rate get a policy-violation stream error; another address is not affected', T, async () => {
    // The burst is 10 connections; the limit above already used some of this address's budget.
    let refused: string | null = null;
    for (let i = 0; i < 12 && refused === null; i++) {
      const c = await RawClient.open(ts.ports.c2s);
      open.push(c);
      c.send(streamHeader({ to: 'localhost' }));
      const first = await c.next((e) => e.is('features', NS.stream) || e.is('error', NS.stream), 'features or an error');
      if (first.is('error', NS.stream)) refused = first.getChildElements()[0]?.name ?? '';
      c.close();
    }
    assert.equal(refused, 'policy-violation');
    assert.ok((await refusedCount(ts, 'new-connections')) >= 1);
    const other = await RawClient.open(ts.ports.c2s, 'localhost', OTHER_ADDRESS);
    open.push(other);
    const features = await other.startStream();
    assert.ok(features.getChild('starttls', NS.tls), 'served normally');
  });
});
