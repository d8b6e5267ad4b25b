// Password guessing (issue 9 item 3, docs/security.md): after N failures for an account from one
// address (or from one address) each further attempt waits at least 1 s, doubling to a cap; the
// right password from another address still works; an unknown account behaves like a known one;
// an account is locked after too many failures anywhere, and `parley user unlock` lifts the lock.
// Each test comes from its own loopback address (127.0.0.x), as distinct attackers would.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createLogger } from '@parley/log';
import { startAdminSocket } from '../services/cli/src/admin-socket.ts';
import { acquireDataDirLock } from '../services/cli/src/lock.ts';
import { type CliResult, parleyCli } from './harness/cli.ts';
import { RawClient } from './harness/raw.ts';
import { startTestServer, type TestServer } from './harness/server.ts';

const T = { timeout: 60_000 };
let ts: TestServer;

before(async () => {
  ts = await startTestServer({ authFailuresBeforeDelay: 2, authDelayCapSec: 2, authLockAfter: 6, authLockSec: 600 });
  await ts.addUsers(['juliet', 'right'], ['romeo', 'right'], ['tybalt', 'right'], ['mercutio', 'right']);
});
after(() => ts.stop());

interface Attempt {
  result: string;
  text: string | undefined;
  ms: number;
}

/** One login attempt on a fresh connection from `from`; `ms` runs from the <auth/> to the outcome. */
async function attempt(user: string, password: string, from: string): Promise<Attempt> {
  const c = await RawClient.open(ts.ports.c2s, 'localhost', from);
  try {
    await c.startStream();
    await c.starttls();
    const t0 = performance.now();
    const result = await c.authenticate(user, password);
    const ms = performance.now() - t0;
    return { result, text: c.saslFailure?.getChildText('text') ?? undefined, ms };
  } finally {
    c.close();
  }
}

async function metric(limit: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${ts.ports.http}/metrics`)).text();
  const m = new RegExp(`^parley_limit_refused_total\\{limit="${limit}"\\} (\\d+)`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
}

test('after two failures from one address each further attempt waits at least 1 s, then 2 s (the cap)', T, async () => {
  const from = '127.0.0.3';
  assert.equal((await attempt('juliet', 'guess1', from)).result, 'not-authorized');
  assert.equal((await attempt('juliet', 'guess2', from)).result, 'not-authorized');
  const third = await attempt('juliet', 'guess3', from);
  assert.equal(third.result, 'not-authorized');
  assert.ok(third.ms >= 1000, `third attempt answered after ${third.ms} ms`);
  const fourth = await attempt('juliet', 'guess4', from);
  assert.ok(fourth.ms >= 2000, `fourth attempt answered after ${fourth.ms} ms`);
  const fifth = await attempt('juliet', 'guess5', from);
  assert.ok(fifth.ms >= 2000 && fifth.result === 'not-authorized', 'capped at 2 s, still refused');
  // The attacker's address is slowed for the right password too: it cannot tell a hit by speed.
  const right = await attempt('juliet', 'right', from);
  assert.equal(right.result, 'success');
  assert.ok(right.ms >= 2000);
});

test('the right password from another address is not slowed by an attacker’s failures', T, async () => {
  for (let i = 0; i < 3; i++) await attempt('romeo', `wrong${i}`, '127.0.0.4');
  const delayed = await metric('auth-delayed');
  const real = await attempt('romeo', 'right', '127.0.0.5');
  assert.equal(real.result, 'success');
  assert.equal(await metric('auth-delayed'), delayed, 'no delay was applied to the real user');
});

test('an unknown account is answered exactly like a known one, delays included', T, async () => {
  const known: Attempt[] = [];
  const unknown: Attempt[] = [];
  for (let i = 0; i < 3; i++) known.push(await attempt('mercutio', `x${i}`, '127.0.0.6'));
  for (let i = 0; i < 3; i++) unknown.push(await attempt('nobody-here', `x${i}`, '127.0.0.7'));
  assert.deepEqual(
    unknown.map((a) => [a.result, a.text]),
    known.map((a) => [a.result, a.text]),
  );
  assert.ok(known[2]!.ms >= 1000 && unknown[2]!.ms >= 1000, 'both slowed on the third attempt');
});

test('an account is locked after too many failures from anywhere, and parley user unlock lifts it', T, async () => {
  // Six failures from six addresses: none of them is slowed, but together they lock the account.
  for (let i = 0; i < 6; i++) assert.equal((await attempt('tybalt', 'wrong', `127.0.1.${i + 1}`)).result, 'not-authorized');
  const locked = await attempt('tybalt', 'right', '127.0.2.1');
  assert.equal(locked.result, 'not-authorized');
  assert.match(locked.text ?? '', /too many failed logins/);
  assert.ok((await metric('auth-locked')) >= 2, 'the lock and the refused login are counted');
  // The CLI finds a running server by its data-directory lock and talks to its admin socket.
  const dataDir = mkdtempSync(join(tmpdir(), 'parley-unlock-'));
  const lock = acquireDataDirLock(dataDir);
  const socket = await startAdminSocket({
    config: { ...ts.server.config, dataDir },
    store: ts.server.store,
    log: createLogger({ level: 'silent' }),
    unlock: (u) => ts.server.unlockAccount(u),
  });
  let out: CliResult;
  try {
    out = await parleyCli(['user', 'unlock', 'tybalt@localhost'], { PARLEY_DATA_DIR: dataDir });
  } finally {
    await socket.close();
    lock.release();
    rmSync(dataDir, { recursive: true, force: true });
  }
  assert.equal(out.code, 0, out.stderr);
  assert.match(out.stdout, /unlocked tybalt@localhost/);
  assert.equal((await attempt('tybalt', 'right', '127.0.2.2')).result, 'success');
});
