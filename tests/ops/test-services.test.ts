// How `make test` gets PostgreSQL, Redis and NATS (scripts/test-services.ts): the decision, for every
// kind of machine, and the local path run for real here — private servers from the Debian packages in
// a temporary directory, next to (never instead of) the machine's own.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { connect as natsConnect } from '@nats-io/transport-node';
import { openPostgres } from '@parley/store';
import { Redis } from 'ioredis';
import { startLocal } from '../../scripts/test-services/local.ts';
import { type Machine, planTestServices } from '../../scripts/test-services/plan.ts';

const all = (v: boolean) => ({ postgres: v, redis: v, nats: v });
const machine = (m: Partial<Machine>): Machine => ({ reachable: all(false), docker: false, installed: all(false), root: false, apt: false, ...m });

test('services that already answer are used as they are, whatever else the machine has', () => {
  assert.deepEqual(planTestServices(machine({ reachable: all(true), docker: true, root: true, apt: true })), { kind: 'running' });
});

test('with a Docker engine, testcontainers starts only the services that do not answer', () => {
  assert.deepEqual(planTestServices(machine({ reachable: { postgres: true, redis: false, nats: false }, docker: true, installed: all(true), root: true, apt: true })), {
    kind: 'containers',
    services: ['redis', 'nats'],
  });
});

test('without Docker, installed servers start from a temporary directory, root or not', () => {
  assert.deepEqual(planTestServices(machine({ reachable: { postgres: false, redis: true, nats: true }, installed: all(true) })), { kind: 'local', install: [], services: ['postgres'] });
});

test('without Docker, root on Debian installs the missing packages first', () => {
  assert.deepEqual(planTestServices(machine({ installed: { postgres: true, redis: false, nats: false }, root: true, apt: true })), {
    kind: 'local',
    install: ['redis-server', 'nats-server'],
    services: ['postgres', 'redis', 'nats'],
  });
});

test('otherwise one message names what is missing and each way to provide it', () => {
  const plan = planTestServices(machine({ reachable: { postgres: true, redis: false, nats: false }, apt: true }));
  assert.equal(plan.kind, 'missing');
  if (plan.kind !== 'missing') return;
  assert.match(plan.message, /redis\s+not reachable at PARLEY_TEST_REDIS_URL \(default redis:\/\/127\.0\.0\.1:6379\)/);
  assert.match(plan.message, /nats\s+not reachable at PARLEY_TEST_NATS_URL/);
  assert.doesNotMatch(plan.message, /postgres\s+not reachable/);
  assert.match(plan.message, /Docker engine/);
  assert.match(plan.message, /installs redis-server, nats-server .*\(you are not root\)/);
  const noApt = planTestServices(machine({ root: true }));
  assert.ok(noApt.kind === 'missing' && /this machine has no apt-get/.test(noApt.message));
});

test('the local path starts private PostgreSQL, Redis and NATS with JetStream on free ports and removes them afterwards', { timeout: 120_000 }, async () => {
  const local = await startLocal(['postgres', 'redis', 'nats']);
  try {
    for (const [s, def] of [['postgres', ':5432/'], ['redis', ':6379'], ['nats', ':4222']] as const) {
      assert.ok(local.urls[s] && !local.urls[s]!.includes(def), `${s} runs on its own port, not the machine's (${local.urls[s]})`);
    }
    const sql = await openPostgres(local.urls.postgres!);
    assert.deepEqual(await sql.query<{ db: string }>('SELECT current_database() AS db'), [{ db: 'test' }]);
    await sql.close();
    const redis = new Redis(local.urls.redis!, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await redis.connect();
    assert.equal(await redis.ping(), 'PONG');
    redis.disconnect();
    // JetStream is on: its account-info API answers.
    const nc = await natsConnect({ servers: local.urls.nats! });
    const info = (await nc.request('$JS.API.INFO', '', { timeout: 5000 })).json<{ type: string }>();
    assert.equal(info.type, 'io.nats.jetstream.api.v1.account_info_response');
    await nc.close();
  } finally {
    await local.stop();
  }
  assert.equal(existsSync(local.dir), false, 'the temporary directory is gone');
});
