// Every internal link authenticated and encrypted (REQUIREMENTS.md, Scalability): edges and actors
// run over NATS with TLS and a user, Redis with TLS only and an ACL user, and Postgres over TLS with
// SCRAM passwords, all with a test CA and PARLEY_REQUIRE_INTERNAL_TLS on; two users chat across
// edges. A process given a plaintext link refuses to start with one line naming it.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { xml } from '@parley/xml';
import { RawClient } from '../harness/raw.ts';
import { parleyArgs } from '../harness/parley-bin.ts';
import { PrivateBackends } from './backends.ts';
import { DOMAIN, password, ROOT, TestCluster } from './harness.ts';
import { makeTestCa, secureNats, securePostgres, secureRedis } from './secure-backends.ts';

test('a cluster whose NATS, Redis and Postgres links are all TLS with credentials carries a conversation, and refuses a plaintext link', { timeout: 180_000 }, async (t) => {
  const backends = new PrivateBackends();
  let cluster: TestCluster | undefined;
  try {
    const ca = makeTestCa(backends.dir);
    const caPem = readFileSync(ca.caFile, 'utf8');
    const [nats, redis, pg] = await Promise.all([
      secureNats(backends, ca, 'parley', 'nats-secret'),
      secureRedis(backends, ca, 'parley', 'redis-secret'),
      securePostgres(backends, ca, 'pg-secret'),
    ]);
    const env = {
      PARLEY_REQUIRE_INTERNAL_TLS: 'true',
      PARLEY_NATS_CA_FILE: ca.caFile,
      PARLEY_REDIS_CA_FILE: ca.caFile,
      PARLEY_DATABASE_CA_FILE: ca.caFile,
    };
    cluster = await TestCluster.start({
      edges: 2,
      sessions: 1,
      presences: 1,
      label: 'internal-tls',
      urls: { nats: nats.url, redis: redis.url, database: pg.url },
      env,
      redisOptions: { tls: { ca: caPem } },
      databaseSsl: { ca: caPem },
    });
    await cluster.addUsers(['alice', 'bob']);
    await cluster.befriend('alice', 'bob');
    const [e1, e2] = cluster.edges();
    const alice = await RawClient.login(e1!.c2s, 'alice', password('alice'), 'phone', DOMAIN);
    const bob = await RawClient.login(e2!.c2s, 'bob', password('bob'), 'laptop', DOMAIN);
    for (const c of [alice, bob]) {
      c.send(xml('presence'));
      await c.rosterGet();
    }
    alice.send(xml('message', { to: `bob@${DOMAIN}`, type: 'chat', id: 'm1' }, xml('body', null, 'over TLS all the way')));
    const got = await bob.next((e) => e.is('message') && e.getChildText('body') !== null, 'Alice’s message', 15_000);
    assert.equal(got.getChildText('body'), 'over TLS all the way');
    assert.equal(got.attr('from'), `alice@${DOMAIN}/phone`);
    alice.close();
    bob.close();

    // The same settings with one plaintext link: the process says which, on one line, and stops.
    const parley = await parleyArgs();
    const refuse = (overrides: Record<string, string>) => {
      const r = spawnSync(process.execPath, [...parley, 'start', '--role', 'session'], {
        cwd: ROOT,
        env: { PATH: process.env.PATH, PARLEY_NATS_URL: nats.url, PARLEY_REDIS_URL: redis.url, PARLEY_DATABASE_URL: pg.url, PARLEY_OPS_PORT: '0', ...env, ...overrides },
        encoding: 'utf8',
        timeout: 60_000,
      });
      return { code: r.status, lines: r.stderr.trim().split('\n') };
    };
    const plainRedis = refuse({ PARLEY_REDIS_URL: redis.url.replace('rediss://', 'redis://') });
    t.diagnostic(plainRedis.lines.join(' / '));
    assert.equal(plainRedis.code, 2);
    assert.deepEqual(plainRedis.lines, [
      `parley: PARLEY_REQUIRE_INTERNAL_TLS is on and the Redis link (PARLEY_REDIS_URL redis://***@127.0.0.1:${redis.server.port}) is plaintext: use rediss://`,
    ]);
    const anonymousPg = refuse({ PARLEY_DATABASE_URL: pg.url.replace('postgres:pg-secret@', 'postgres@') });
    assert.equal(anonymousPg.code, 2);
    assert.match(anonymousPg.lines.join('\n'), /^parley: PARLEY_REQUIRE_INTERNAL_TLS is on and the Postgres link .* is unauthenticated/);
  } finally {
    await cluster?.stop();
    await backends.stop();
  }
});
