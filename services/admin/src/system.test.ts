// The cluster view, admin tokens, the audit log and the console's static files.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { MemoryLeaseStore } from '@parley/actor';
import { silentLogger } from '@parley/log';
import { openScratchPostgres } from '@parley/store';
import { auditLog } from './audit.ts';
import { consoleDir } from './console.ts';
import { adminFixture, DOMAIN, type Fixture } from './test-fixture.ts';
import { tokenRepo } from './tokens.ts';

let fx: Fixture;
let admin: string;
before(async () => {
  fx = await adminFixture();
  admin = await fx.token('admin', 'root');
});
after(() => fx.close());

describe('cluster view', () => {
  test('embedded mode is one process owning every shard, with its edge’s connections', async () => {
    await fx.addUser('viewer');
    await fx.online(`viewer@${DOMAIN}/r`, 'c-view', 'e1');
    const r = await fx.call('GET', '/api/cluster', { token: admin });
    assert.equal(r.body.mode, 'embedded');
    assert.equal(r.body.online, 1);
    assert.equal(r.body.accounts, 1);
    assert.deepEqual(r.body.processes, [{ id: 'e1', roles: ['edge', 'session', 'presence', 'chatroom', 'admin'], shards: { session: 64, presence: 64, chatroom: 64 }, connections: 1 }]);
    assert.deepEqual(r.body.unownedShards, { session: 0, presence: 0, chatroom: 0 });
    assert.deepEqual(r.body.edges, [{ id: 'e1', connections: 1, live: true }]);
  });

  test('cluster mode shows each process with its roles and shards (session, presence, chatroom) from the leases, and unowned shards', async () => {
    const leases = new MemoryLeaseStore();
    const c = await adminFixture({ leases });
    try {
      await leases.join('session', 'p1', 60_000);
      await leases.join('presence', 'p1', 60_000);
      await leases.join('session', 'p2', 60_000);
      await leases.join('admin', 'adm', 60_000);
      // Two chatroom processes sharing the room actors, a few shards not yet taken over.
      await leases.join('chatroom', 'c1', 60_000);
      await leases.join('chatroom', 'p2', 60_000);
      for (let s = 0; s < 62; s++) await leases.acquire('chatroom', s, s % 2 ? 'c1' : 'p2', 60_000);
      for (let s = 0; s < 64; s++) await leases.acquire('session', s, s < 40 ? 'p1' : 'p2', 60_000);
      for (let s = 0; s < 60; s++) await leases.acquire('presence', s, 'p1', 60_000);
      await c.online(`x@${DOMAIN}/1`, 'c1', 'e1');
      await c.online(`y@${DOMAIN}/1`, 'c2', 'e1');
      const r = await c.call('GET', '/api/cluster', { token: await c.token('read-only') });
      assert.equal(r.body.mode, 'cluster');
      assert.deepEqual(r.body.unownedShards, { session: 0, presence: 4, chatroom: 2 });
      assert.deepEqual(r.body.processes, [
        { id: 'adm', roles: ['admin'], shards: {} },
        { id: 'c1', roles: ['chatroom'], shards: { chatroom: 31 } },
        { id: 'e1', roles: ['edge'], shards: {}, connections: 2 },
        { id: 'p1', roles: ['session', 'presence'], shards: { session: 40, presence: 60 } },
        { id: 'p2', roles: ['session', 'chatroom'], shards: { session: 24, chatroom: 31 } },
      ]);
    } finally {
      await c.close();
    }
  });
});

describe('tokens', () => {
  test('an admin creates, lists and revokes tokens; secrets are shown once and both changes are audited', async () => {
    const created = await fx.call('POST', '/api/tokens', { token: admin, body: { name: 'ci bot', role: 'read-only' } });
    assert.equal(created.status, 201);
    assert.match(String(created.body.token), /^prly_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    const list = await fx.call('GET', '/api/tokens', { token: admin });
    const listed = (list.body.tokens as Array<Record<string, unknown>>).find((t) => t.id === created.body.id);
    assert.deepEqual([listed?.name, listed?.role, listed?.revokedAt], ['ci bot', 'read-only', null]);
    assert.doesNotMatch(JSON.stringify(list.body), /prly_|secret/);
    assert.equal((await fx.call('DELETE', `/api/tokens/${created.body.id}`, { token: admin })).status, 200);
    assert.equal((await fx.call('DELETE', `/api/tokens/${created.body.id}`, { token: admin })).status, 404);
    const audit = await fx.call('GET', `/api/audit?target=token:${created.body.id}`, { token: admin });
    assert.deepEqual((audit.body.entries as Array<{ action: string }>).map((e) => e.action), ['token.revoke', 'token.create']);
  });

  test('a token with an unknown role, a bad name or a malformed id is refused with a reason', async () => {
    const role = await fx.call('POST', '/api/tokens', { token: admin, body: { name: 'x', role: 'root' } });
    assert.deepEqual([role.status, role.body.message], [400, 'body/role must be equal to one of the allowed values']);
    const name = await fx.call('POST', '/api/tokens', { token: admin, body: { name: '<script>', role: 'admin' } });
    assert.match(String(name.body.message), /name must be 1-64 letters/);
    const id = await fx.call('DELETE', '/api/tokens/nothex', { token: admin });
    assert.match(String(id.body.message), /params\/id must match pattern/);
  });
});

describe('audit log', () => {
  test('entries come newest first and page backwards by id', async () => {
    for (const u of ['a1', 'a2', 'a3']) await fx.call('POST', '/api/users', { token: admin, body: { username: u, password: 'pw' } });
    const first = await fx.call('GET', '/api/audit?limit=2', { token: admin });
    const entries = first.body.entries as Array<{ id: number; target: string; actor: string; at: string }>;
    assert.deepEqual(entries.map((e) => e.target), [`a3@${DOMAIN}`, `a2@${DOMAIN}`]);
    assert.ok(Math.abs(Date.parse(entries[0]!.at) - Date.now()) < 60_000);
    const next = await fx.call('GET', `/api/audit?limit=1&before=${entries[1]!.id}`, { token: admin });
    assert.deepEqual((next.body.entries as Array<{ target: string }>).map((e) => e.target), [`a1@${DOMAIN}`]);
  });

  test('tokens and the audit log work the same on Postgres', async () => {
    const c = await adminFixture({ sql: await openScratchPostgres() });
    try {
      const t = await c.token('operator', 'pg');
      assert.equal((await c.call('POST', '/api/users', { token: t, body: { username: 'pguser', password: 'pw' } })).status, 201);
      const a = await c.call('GET', '/api/audit', { token: t });
      assert.deepEqual((a.body.entries as Array<{ action: string; target: string }>).map((e) => [e.action, e.target]), [['user.create', `pguser@${DOMAIN}`]]);
      assert.equal(await tokenRepo(c.store.sql).verify(`${t}x`), null);
      await auditLog(c.store.sql, silentLogger).record({ actor: 'cli', action: 'user.lock', target: 'z', detail: { n: 1 } });
      assert.deepEqual((await auditLog(c.store.sql, silentLogger).list({ limit: 1 }))[0]?.detail, { n: 1 });
    } finally {
      await c.close();
    }
  });
});

describe('web console', () => {
  test('is served with a Content-Security-Policy that allows only its own files', async () => {
    const page = await fx.call('GET', '/');
    assert.match(String(page.headers['content-type']), /^text\/html/);
    assert.match(String(page.headers['content-security-policy']), /default-src 'none'; script-src 'self'/);
    assert.match(String(page.body.text), /<script src="\/console.js" defer><\/script>/);
    assert.equal((await fx.call('GET', '/console.js')).status, 200);
    assert.equal((await fx.call('GET', '/console.css')).status, 200);
    assert.equal((await fx.call('GET', '/nothing-here')).status, 404);
  });

  test('uses no external asset, inline script or inline style', () => {
    for (const f of readdirSync(consoleDir)) {
      const text = readFileSync(join(consoleDir, f), 'utf8');
      assert.doesNotMatch(text, /(?:src|href)=["']?(?:https?:)?\/\//i, `${f} loads nothing from elsewhere`);
      assert.doesNotMatch(text, /url\(\s*["']?(?:https?:)?\/\//i, `${f}: no remote CSS`);
      if (f.endsWith('.html')) assert.doesNotMatch(text, /<script>|<style|style=|onclick=/i, `${f}: nothing inline`);
    }
  });
});
