// Who may call what: tokens, the 401/403 answers and the role matrix over every documented route.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { MATRIX, type Permission, ROLES } from './roles.ts';
import { adminFixture, type Fixture } from './test-fixture.ts';

let fx: Fixture;
before(async () => {
  fx = await adminFixture();
});
after(() => fx.close());

interface Operation {
  'x-permission'?: Permission;
  security?: unknown[];
}

/** Every documented operation with a concrete URL (path parameters filled in). */
async function operations(): Promise<Array<{ method: string; url: string; op: Operation }>> {
  const doc = (await fx.call('GET', '/api/openapi.json')).body as { paths: Record<string, Record<string, Operation>> };
  return Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.entries(ops).map(([method, op]) => ({
      method: method.toUpperCase(),
      url: path.replace('{user}', 'nobody').replace('{id}', '0123456789abcdef'),
      op,
    })),
  );
}

describe('authentication', () => {
  test('a call without a token is 401 with a bearer challenge and a JSON body that says what to send', async () => {
    const r = await fx.call('GET', '/api/users');
    assert.equal(r.status, 401);
    assert.equal(r.headers['www-authenticate'], 'Bearer realm="parley-admin"');
    assert.equal(r.body.error, 'unauthorized');
    assert.match(String(r.body.message), /Authorization: Bearer/);
  });

  test('a malformed header, an unknown token and a wrong secret are each 401', async () => {
    const good = await fx.token('admin');
    const wrongSecret = `${good.slice(0, -4)}AAAA`;
    for (const headers of [{ authorization: 'Basic abc' }, { authorization: 'Bearer prly_0000000000000000_' + 'A'.repeat(43) }, { authorization: `Bearer ${wrongSecret}` }, { authorization: 'Bearer x y' }]) {
      const r = await fx.call('GET', '/api/users', { headers });
      assert.equal(r.status, 401, JSON.stringify(headers));
      assert.equal(r.body.error, 'unauthorized');
    }
    assert.equal((await fx.call('GET', '/api/users', { token: good })).status, 200);
  });

  test('a revoked token stops working at once', async () => {
    const admin = await fx.token('admin');
    const created = await fx.call('POST', '/api/tokens', { token: admin, body: { name: 'short lived', role: 'operator' } });
    assert.equal(created.status, 201);
    const t = String(created.body.token);
    assert.equal((await fx.call('GET', '/api/whoami', { token: t })).body.role, 'operator');
    assert.equal((await fx.call('DELETE', `/api/tokens/${created.body.id}`, { token: admin })).status, 200);
    assert.equal((await fx.call('GET', '/api/whoami', { token: t })).status, 401);
  });

  test('the OpenAPI document and the console need no token', async () => {
    assert.equal((await fx.call('GET', '/api/openapi.json')).status, 200);
    assert.equal((await fx.call('GET', '/')).status, 200);
  });
});

describe('the role matrix', () => {
  test('read-only may only read, operators may not delete accounts or manage tokens, admins may do everything', () => {
    assert.deepEqual([...MATRIX['read-only']].sort(), ['audit.read', 'cluster.read', 'sessions.read', 'users.read']);
    assert.deepEqual([...MATRIX.operator].filter((p) => !MATRIX['read-only'].has(p)).sort(), ['sessions.kick', 'users.create', 'users.lock', 'users.password']);
    assert.equal(MATRIX.admin.has('users.delete') && MATRIX.admin.has('tokens.manage'), true);
  });

  test('every route answers 403 exactly to the roles that lack its permission, and never 401 to a valid token', async () => {
    const tokens = Object.fromEntries(await Promise.all(ROLES.map(async (r) => [r, await fx.token(r)] as const)));
    const ops = (await operations()).filter((o) => o.op.security === undefined);
    assert.ok(ops.length >= 14, `found ${ops.length} protected operations`);
    for (const { method, url, op } of ops) {
      for (const role of ROLES) {
        // An empty JSON object: a permitted caller gets past the guard (to 400, 404 or success).
        const r = await fx.call(method, url, { token: tokens[role], ...(method === 'GET' || method === 'DELETE' ? {} : { body: {} }) });
        const permitted = op['x-permission'] === undefined || MATRIX[role].has(op['x-permission']);
        assert.notEqual(r.status, 401, `${role} ${method} ${url}`);
        assert.equal(r.status === 403, !permitted, `${role} ${method} ${url} answered ${r.status} ${JSON.stringify(r.body)}`);
        if (!permitted) assert.match(String(r.body.message), new RegExp(`the ${role} role may not do this \\(needs ${op['x-permission']}\\)`));
      }
    }
  });
});
