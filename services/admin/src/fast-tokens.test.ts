// An operator sees which clients hold FAST sign-in tokens (XEP-0484) and revokes them, one client
// or all; a read-only token may look but not revoke; every revocation is audited.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { adminFixture, DOMAIN, type Fixture } from './test-fixture.ts';

let fx: Fixture;
let operator: string;
let reader: string;
let admin: string;
before(async () => {
  fx = await adminFixture();
  operator = await fx.token('operator', 'helpdesk');
  reader = await fx.token('read-only', 'viewer');
  admin = await fx.token('admin', 'root');
});
after(() => fx.close());

const issue = (user: string, clientId: string, hash: string) =>
  fx.store.fastTokens.issue(user, DOMAIN, { clientId, hash, mechanism: 'HT-SHA-256-NONE', expiresAt: new Date(Date.now() + 3600_000), userAgent: `App [${clientId}]` }, 10);

test('an operator lists the tokens without their secrets and revokes one client, then all, each audited', async () => {
  await fx.addUser('tina', 'pw');
  await issue('tina', 'phone', 'secret-hash-1');
  await issue('tina', 'laptop', 'secret-hash-2');
  const list = await fx.call('GET', '/api/users/tina/fast-tokens', { token: reader });
  assert.equal(list.status, 200);
  const tokens = list.body.tokens as Array<Record<string, unknown>>;
  assert.deepEqual(tokens.map((t) => t.client).sort(), ['laptop', 'phone']);
  assert.ok(!JSON.stringify(list.body).includes('secret-hash'), 'never the token hash');
  assert.equal((await fx.call('DELETE', '/api/users/tina/fast-tokens?client=phone', { token: reader })).status, 403);
  const one = await fx.call('DELETE', '/api/users/tina/fast-tokens?client=phone', { token: operator });
  assert.deepEqual(one.body, { jid: `tina@${DOMAIN}`, revoked: 1 });
  assert.deepEqual((await fx.store.fastTokens.list('tina', DOMAIN)).map((t) => t.clientId), ['laptop']);
  const all = await fx.call('DELETE', '/api/users/tina/fast-tokens', { token: operator });
  assert.deepEqual(all.body, { jid: `tina@${DOMAIN}`, revoked: 1 });
  const audit = await fx.call('GET', `/api/audit?target=${encodeURIComponent(`tina@${DOMAIN}`)}&limit=2`, { token: admin });
  const entries = audit.body.entries as Array<{ action: string; detail: Record<string, unknown> }>;
  assert.deepEqual(entries.map((e) => [e.action, e.detail]), [['user.fast-tokens.revoke', { revoked: 1 }], ['user.fast-tokens.revoke', { revoked: 1, client: 'phone' }]]);
});

test('an unknown account is 404', async () => {
  const r = await fx.call('GET', '/api/users/nobody/fast-tokens', { token: operator });
  assert.equal(r.status, 404);
  assert.equal((await fx.call('DELETE', '/api/users/nobody/fast-tokens', { token: operator })).status, 404);
});
