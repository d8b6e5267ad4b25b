// An operator looks after accounts: finds, creates, locks, resets and deletes them, and every
// change is in the audit log.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createSaslSession } from '@parley/sasl';
import { adminFixture, DOMAIN, type Fixture } from './test-fixture.ts';

let fx: Fixture;
let operator: string;
let admin: string;
before(async () => {
  fx = await adminFixture();
  operator = await fx.token('operator', 'helpdesk');
  admin = await fx.token('admin', 'root');
});
after(() => fx.close());

/** Signs in over SASL PLAIN against the store, as the edge does. */
async function canSignIn(username: string, password: string): Promise<boolean> {
  const s = createSaslSession('PLAIN', { tls: true, channelBinding: () => undefined, lookup: (u, h) => fx.store.users.getCredential(u, DOMAIN, h), fakeSaltSecret: Buffer.from('x'), defaultIterations: 4096 });
  const r = await s!.start(Buffer.from(`\0${username}\0${password}`));
  return r.kind === 'success';
}

async function lastAudit(target: string) {
  const r = await fx.call('GET', `/api/audit?target=${encodeURIComponent(target)}&limit=1`, { token: admin });
  return (r.body.entries as Array<Record<string, unknown>>)[0];
}

describe('accounts', () => {
  test('an operator creates an account that can then sign in, and the creation is audited', async () => {
    const r = await fx.call('POST', '/api/users', { token: operator, body: { username: 'Carol', password: 'carol-pw' } });
    assert.equal(r.status, 201);
    assert.deepEqual(r.body, { jid: `carol@${DOMAIN}` });
    assert.equal(await canSignIn('carol', 'carol-pw'), true);
    const a = await lastAudit(`carol@${DOMAIN}`);
    assert.deepEqual([a?.actor, a?.action], [`token:${operator.split('_')[1]} (helpdesk)`, 'user.create']);
  });

  test('creating an existing account is 409 and changes nothing', async () => {
    await fx.addUser('dup', 'first');
    const r = await fx.call('POST', '/api/users', { token: operator, body: { username: `dup@${DOMAIN}`, password: 'second' } });
    assert.equal(r.status, 409);
    assert.deepEqual(r.body, { error: 'conflict', message: `dup@${DOMAIN} already exists` });
    assert.equal(await canSignIn('dup', 'first'), true);
  });

  test('bad input is 400 with a message that names the problem', async () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ username: 'x' }, /body must have required property 'password'/],
      [{ username: 'x', password: '' }, /body\/password must NOT have fewer than 1 characters/],
      [{ username: 'x', password: 'p', admin: true }, /body must NOT have additional properties/],
      [{ username: 'a b', password: 'p' }, /"a b" is not a valid username/],
      [{ username: 'x@elsewhere.example', password: 'p' }, new RegExp(`not on this server's domain ${DOMAIN}`)],
      [{ username: { nested: 1 }, password: 'p' }, /body\/username must be string/],
    ];
    for (const [body, message] of cases) {
      const r = await fx.call('POST', '/api/users', { token: operator, body });
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.equal(r.body.error, 'bad-request');
      assert.match(String(r.body.message), message);
    }
    const notJson = await fx.call('POST', '/api/users', { token: operator, body: '{"username":', headers: { 'content-type': 'application/json' } });
    assert.equal(notJson.status, 400);
    const tooMany = await fx.call('GET', '/api/users?limit=100000', { token: operator });
    assert.equal(tooMany.status, 400);
    assert.match(String(tooMany.body.message), /querystring\/limit must be <= 500/);
  });

  test('finding users matches part of the name and pages through the rest', async () => {
    for (const u of ['find-ann', 'find-bob', 'find-cat', 'other']) await fx.addUser(u);
    const first = await fx.call('GET', '/api/users?q=find-&limit=2', { token: operator });
    assert.deepEqual((first.body.users as Array<{ jid: string }>).map((u) => u.jid), [`find-ann@${DOMAIN}`, `find-bob@${DOMAIN}`]);
    assert.equal(first.body.next, 'find-bob');
    const rest = await fx.call('GET', '/api/users?q=find-&limit=2&after=find-bob', { token: operator });
    assert.deepEqual((rest.body.users as Array<{ username: string; locked: boolean }>).map((u) => [u.username, u.locked]), [['find-cat', false]]);
    assert.equal(rest.body.next, null);
  });

  test('one account shows its online sessions; an unknown one is 404', async () => {
    await fx.addUser('shown');
    await fx.online(`shown@${DOMAIN}/phone`, 'c-shown');
    const r = await fx.call('GET', '/api/users/shown', { token: operator });
    assert.equal(r.status, 200);
    assert.deepEqual((r.body.sessions as Array<{ jid: string }>).map((s) => s.jid), [`shown@${DOMAIN}/phone`]);
    const missing = await fx.call('GET', '/api/users/ghost', { token: operator });
    assert.deepEqual([missing.status, missing.body.error], [404, 'not-found']);
  });

  test('locking closes the sessions with the reason, makes the right password fail, and unlocking restores it', async () => {
    await fx.addUser('mallory', 'm-pw');
    await fx.online(`mallory@${DOMAIN}/a`, 'c-mal-a', 'e1');
    await fx.online(`mallory@${DOMAIN}/b`, 'c-mal-b', 'e2');
    const r = await fx.call('POST', '/api/users/mallory/lock', { token: operator, body: { reason: 'spam reports' } });
    assert.deepEqual([r.status, r.body], [200, { jid: `mallory@${DOMAIN}`, locked: true }]);
    await fx.bus.flush();
    assert.deepEqual(
      fx.kicks.filter((k) => k.kind === 'kick' && k.conn.startsWith('c-mal')).map((k) => [k.edge, k.kind === 'kick' && k.conn, k.kind === 'kick' && k.condition, k.kind === 'kick' && k.text]),
      [
        ['e1', 'c-mal-a', 'policy-violation', 'spam reports'],
        ['e2', 'c-mal-b', 'policy-violation', 'spam reports'],
      ],
    );
    assert.equal(await canSignIn('mallory', 'm-pw'), false);
    assert.equal((await fx.call('GET', '/api/users?q=mallory', { token: operator }).then((x) => (x.body.users as Array<{ locked: boolean }>)[0]))?.locked, true);
    assert.deepEqual((await lastAudit(`mallory@${DOMAIN}`))?.detail, { reason: 'spam reports' });
    assert.equal((await fx.call('POST', '/api/users/mallory/unlock', { token: operator, body: {} })).status, 200);
    assert.equal(await canSignIn('mallory', 'm-pw'), true);
    assert.equal((await lastAudit(`mallory@${DOMAIN}`))?.action, 'user.unlock');
    assert.equal((await fx.call('POST', '/api/users/ghost/lock', { token: operator, body: {} })).status, 404);
  });

  test('a password reset replaces the credentials: the new password works and the old one fails', async () => {
    await fx.addUser('forgetful', 'old-pw');
    const r = await fx.call('PUT', '/api/users/forgetful/password', { token: operator, body: { password: 'new-pw' } });
    assert.equal(r.status, 200);
    assert.equal(await canSignIn('forgetful', 'new-pw'), true);
    assert.equal(await canSignIn('forgetful', 'old-pw'), false);
    const a = await lastAudit(`forgetful@${DOMAIN}`);
    assert.equal(a?.action, 'user.password');
    assert.equal(JSON.stringify(a).includes('new-pw'), false, 'the audit log never holds a password');
    assert.equal((await fx.call('PUT', '/api/users/ghost/password', { token: operator, body: { password: 'x' } })).status, 404);
  });

  test('the sign-in history lists recorded logins newest first', async () => {
    await fx.addUser('historic');
    await fx.store.loginHistory.record('historic', DOMAIN, { at: new Date('2024-01-01T00:00:00Z'), ip: '192.0.2.1', client: null, resource: 'laptop', mechanism: 'SCRAM-SHA-256', success: true });
    await fx.store.loginHistory.record('historic', DOMAIN, { at: new Date('2024-02-01T00:00:00Z'), ip: '192.0.2.2', client: null, resource: 'phone', mechanism: 'PLAIN', success: true });
    const r = await fx.call('GET', '/api/users/historic/logins?limit=5', { token: operator });
    assert.deepEqual((r.body.logins as Array<{ ip: string; at: string }>).map((l) => [l.ip, l.at]), [
      ['192.0.2.2', '2024-02-01T00:00:00.000Z'],
      ['192.0.2.1', '2024-01-01T00:00:00.000Z'],
    ]);
  });

  test('an admin deletes an account: its sessions are closed, it is gone, and the deletion is audited', async () => {
    await fx.addUser('leaving');
    await fx.online(`leaving@${DOMAIN}/r`, 'c-leaving');
    const r = await fx.call('DELETE', `/api/users/leaving@${DOMAIN}`, { token: admin });
    assert.deepEqual([r.status, r.body], [200, { jid: `leaving@${DOMAIN}` }]);
    await fx.bus.flush();
    assert.ok(fx.kicks.some((k) => k.kind === 'kick' && k.conn === 'c-leaving'));
    assert.equal((await fx.call('GET', '/api/users/leaving', { token: admin })).status, 404);
    assert.equal((await fx.call('DELETE', '/api/users/leaving', { token: admin })).status, 404);
    assert.deepEqual([(await lastAudit(`leaving@${DOMAIN}`))?.action], ['user.delete']);
  });
});
