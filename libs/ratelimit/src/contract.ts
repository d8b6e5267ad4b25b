// One contract for both implementations (ARCHITECTURE.md: same code in both modes). Timing is
// asserted only as "refused, then allowed after the advertised wait", never as a speed.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import type { FailureLedger, RateLimiter } from './types.ts';

export function rateLimiterContract(name: string, open: () => Promise<RateLimiter>): void {
  test(`${name}: a bucket allows its burst, then refuses with the time until a token is back`, async () => {
    const rl = await open();
    try {
      const rule = { perSec: 10, burst: 3 };
      for (let i = 0; i < 3; i++) assert.equal((await rl.take('k', rule)).ok, true);
      const refused = await rl.take('k', rule);
      assert.equal(refused.ok, false);
      assert.ok(refused.retryAfterMs > 0 && refused.retryAfterMs <= 100, `retry after ${refused.retryAfterMs}`);
      await sleep(refused.retryAfterMs + 20);
      assert.equal((await rl.take('k', rule)).ok, true);
    } finally {
      await rl.close();
    }
  });

  test(`${name}: keys are independent and a refused take leaves no debt`, async () => {
    const rl = await open();
    try {
      const rule = { perSec: 5, burst: 2 };
      assert.equal((await rl.take('a', rule, 2)).ok, true);
      assert.equal((await rl.take('b', rule, 2)).ok, true);
      for (let i = 0; i < 20; i++) assert.equal((await rl.take('a', rule)).ok, false);
      // 20 refusals did not push the bucket below zero: one token is back after ~200 ms.
      await sleep(260);
      assert.equal((await rl.take('a', rule)).ok, true);
    } finally {
      await rl.close();
    }
  });

  test(`${name}: a cost larger than the burst is refused without crashing`, async () => {
    const rl = await open();
    try {
      const v = await rl.take('big', { perSec: 1, burst: 2 }, 5);
      assert.equal(v.ok, false);
    } finally {
      await rl.close();
    }
  });
}

export function failureLedgerContract(name: string, open: () => Promise<FailureLedger>): void {
  test(`${name}: failures count per key and field and are forgotten on request`, async () => {
    const l = await open();
    try {
      assert.deepEqual(await l.record([['acct:juliet', '10.0.0.1'], ['addr:10.0.0.1', '*']], 60_000), [1, 1]);
      assert.deepEqual(await l.record([['acct:juliet', '10.0.0.1'], ['addr:10.0.0.1', '*']], 60_000), [2, 2]);
      assert.deepEqual(await l.record([['acct:juliet', '10.0.0.2']], 60_000), [1]);
      assert.deepEqual(await l.read([['acct:juliet', '10.0.0.1'], ['acct:juliet', '10.0.0.2'], ['acct:romeo', 'x']]), [2, 1, 0]);
      await l.forget('acct:juliet', '10.0.0.1');
      assert.deepEqual(await l.read([['acct:juliet', '10.0.0.1'], ['acct:juliet', '10.0.0.2']]), [0, 1]);
      await l.forget('acct:juliet');
      assert.deepEqual(await l.read([['acct:juliet', '10.0.0.2']]), [0]);
    } finally {
      await l.close();
    }
  });

  test(`${name}: counts expire after the window`, async () => {
    const l = await open();
    try {
      await l.record([['k', 'f']], 100);
      await sleep(200);
      assert.deepEqual(await l.read([['k', 'f']]), [0]);
    } finally {
      await l.close();
    }
  });

  test(`${name}: a lock runs for its time and can be lifted`, async () => {
    const l = await open();
    try {
      assert.equal(await l.lockedFor('juliet'), 0);
      await l.lock('juliet', 60_000);
      const left = await l.lockedFor('juliet');
      assert.ok(left > 59_000 && left <= 60_000, `left ${left}`);
      await l.unlock('juliet');
      assert.equal(await l.lockedFor('juliet'), 0);
      await l.lock('romeo', 50);
      await sleep(120);
      assert.equal(await l.lockedFor('romeo'), 0);
    } finally {
      await l.close();
    }
  });
}
