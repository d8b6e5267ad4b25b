// An operator sees who is online and closes sessions; the edge is told over the bus.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { adminFixture, DOMAIN, type Fixture } from './test-fixture.ts';

let fx: Fixture;
let operator: string;
let reader: string;
before(async () => {
  fx = await adminFixture();
  operator = await fx.token('operator');
  reader = await fx.token('read-only');
});
after(() => fx.close());

type Session = { jid: string; edge: string; conn: string };

describe('sessions', () => {
  test('all sessions are listed a page at a time, and one account’s on request, without any IP address', async () => {
    for (let i = 0; i < 12; i++) await fx.online(`list${i}@${DOMAIN}/r`, `c-list${i}`, i % 2 ? 'e1' : 'e2');
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const r = await fx.call('GET', `/api/sessions?limit=5${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, { token: reader });
      assert.equal(r.status, 200);
      seen.push(...(r.body.sessions as Session[]).map((s) => s.jid));
      cursor = r.body.cursor as string | null;
    } while (cursor);
    assert.equal(seen.filter((j) => j.startsWith('list')).length, 12);
    const one = await fx.call('GET', `/api/sessions?user=list3@${DOMAIN}`, { token: reader });
    assert.deepEqual(one.body.sessions, [{ jid: `list3@${DOMAIN}/r`, edge: 'e1', conn: 'c-list3', priority: 0, available: true, sm: false, carbons: false }]);
    assert.doesNotMatch(JSON.stringify(one.body), /ip|address/i);
  });

  test('kicking a full JID closes that one session with policy-violation and the reason, and is audited', async () => {
    await fx.online(`kickme@${DOMAIN}/phone`, 'c-k-phone', 'e1');
    await fx.online(`kickme@${DOMAIN}/desk`, 'c-k-desk', 'e2');
    const r = await fx.call('POST', '/api/sessions/kick', { token: operator, body: { jid: `kickme@${DOMAIN}/desk`, reason: 'please update your client' } });
    assert.deepEqual([r.status, r.body], [200, { kicked: [`kickme@${DOMAIN}/desk`] }]);
    await fx.bus.flush();
    const kicks = fx.kicks.filter((k) => k.kind === 'kick' && k.conn.startsWith('c-k-'));
    assert.deepEqual(kicks, [{ kind: 'kick', conn: 'c-k-desk', condition: 'policy-violation', text: 'please update your client', edge: 'e2' }]);
    const audit = await fx.call('GET', `/api/audit?target=${encodeURIComponent(`kickme@${DOMAIN}/desk`)}`, { token: reader });
    assert.deepEqual((audit.body.entries as Array<{ action: string; detail: unknown }>).map((e) => [e.action, e.detail]), [
      ['session.kick', { kicked: [`kickme@${DOMAIN}/desk`], reason: 'please update your client' }],
    ]);
  });

  test('kicking a bare JID closes every session of the account with a default reason', async () => {
    await fx.online(`everyone@${DOMAIN}/a`, 'c-ev-a', 'e1');
    await fx.online(`everyone@${DOMAIN}/b`, 'c-ev-b', 'e1');
    const r = await fx.call('POST', '/api/sessions/kick', { token: operator, body: { jid: `everyone@${DOMAIN}` } });
    assert.deepEqual((r.body.kicked as string[]).sort(), [`everyone@${DOMAIN}/a`, `everyone@${DOMAIN}/b`]);
    await fx.bus.flush();
    const texts = fx.kicks.filter((k) => k.kind === 'kick' && k.conn.startsWith('c-ev-')).map((k) => k.kind === 'kick' && k.text);
    assert.deepEqual(texts, ['disconnected by an administrator', 'disconnected by an administrator']);
  });

  test('a kick of nobody online is 404, of a bad or foreign JID 400, and sends nothing', async () => {
    const before = fx.kicks.length;
    const none = await fx.call('POST', '/api/sessions/kick', { token: operator, body: { jid: `offline@${DOMAIN}/x` } });
    assert.deepEqual([none.status, none.body.message], [404, `offline@${DOMAIN}/x has no online session`]);
    for (const [jid, message] of [
      ['@@', /is not a JID/],
      [`someone@elsewhere.example`, new RegExp(`not an account of ${DOMAIN}`)],
      [DOMAIN, new RegExp(`not an account of ${DOMAIN}`)],
    ] as const) {
      const r = await fx.call('POST', '/api/sessions/kick', { token: operator, body: { jid } });
      assert.equal(r.status, 400, jid);
      assert.match(String(r.body.message), message);
    }
    const long = await fx.call('POST', '/api/sessions/kick', { token: operator, body: { jid: `a@${DOMAIN}`, reason: 'x'.repeat(201) } });
    assert.match(String(long.body.message), /body\/reason must NOT have more than 200 characters/);
    await fx.bus.flush();
    assert.equal(fx.kicks.length, before);
  });
});
