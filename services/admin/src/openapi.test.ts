// The OpenAPI document describes exactly the routes the server answers, each with what a caller needs.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ROLES } from './roles.ts';
import { adminFixture, type Fixture } from './test-fixture.ts';

let fx: Fixture;
before(async () => {
  fx = await adminFixture();
});
after(() => fx.close());

type Op = { summary?: string; parameters?: Array<{ name: string; in: string }>; responses: Record<string, unknown>; security?: unknown[]; 'x-roles'?: string[] };

/** Routes as fastify's router holds them: "METHOD /path" (HEAD is implied by GET), read from its printed tree. */
function registeredRoutes(): string[] {
  const out: string[] = [];
  const prefixes: string[] = [];
  for (const line of fx.admin.app.printRoutes({ commonPrefix: false }).split('\n')) {
    const m = /^(.*?)[└├]── (\S*) \(([A-Z, ]+)\)$/.exec(line);
    if (!m) continue;
    const depth = m[1]!.length / 4;
    const path = (prefixes[depth - 1] ?? '') + m[2];
    prefixes[depth] = path;
    for (const method of m[3]!.split(', ')) if (method !== 'HEAD') out.push(`${method} ${path}`);
  }
  return out.sort();
}

test('every /api route is documented and every documented operation is a route', async () => {
  const doc = (await fx.call('GET', '/api/openapi.json')).body as { openapi: string; paths: Record<string, Record<string, Op>> };
  assert.match(doc.openapi, /^3\./);
  const documented = Object.entries(doc.paths)
    .flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`))
    .concat('GET /api/openapi.json')
    .sort();
  const registered = registeredRoutes().filter((r) => r.includes(' /api/'));
  assert.ok(registered.length >= 15, registered.join('\n'));
  assert.deepEqual(registered, [...new Set(documented)].sort());
});

test('each operation has a summary, its path parameters, the roles allowed and its error answers', async () => {
  const doc = (await fx.call('GET', '/api/openapi.json')).body as { paths: Record<string, Record<string, Op>> };
  for (const [path, ops] of Object.entries(doc.paths)) {
    const pathParams = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
    for (const [method, op] of Object.entries(ops)) {
      const where = `${method} ${path}`;
      assert.ok(op.summary && op.summary.length > 10, `${where} has a summary`);
      assert.deepEqual(op.parameters?.filter((p) => p.in === 'path').map((p) => p.name) ?? [], pathParams, `${where} documents its path parameters`);
      if (op.security === undefined) {
        assert.ok(op.responses['401'] && op.responses['403'], `${where} documents 401 and 403`);
        assert.ok(op['x-roles']?.length && op['x-roles'].every((r) => (ROLES as readonly string[]).includes(r)), `${where} names its roles`);
      }
    }
  }
});
