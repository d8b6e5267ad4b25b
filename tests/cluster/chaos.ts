// Assertions shared by the chaos tests.
import assert from 'node:assert/strict';
import type { TestCluster } from './harness.ts';
import { waitFor } from './harness.ts';
import { describeProblems, type Pair, type PairReport } from './traffic.ts';

/** Traffic goes on this long after the kill: failover takes up to the lease TTL plus retries. */
export const TRAFFIC_AFTER_KILL_MS = 10_000;
/** Messages sent this long after a kill must go through without errors (lease TTL 2 s, membership TTL 2 s, slack). */
export const RESUME_AFTER_MS = 6_000;

/** Every receiver got a few messages: traffic flows before anything is killed. */
export async function waitFlowing(pairs: Pair[], atLeast = 5): Promise<void> {
  await waitFor(
    () => pairs.every((p) => p.receiver.counts.size >= atLeast),
    30_000,
    () => `traffic to flow (received: ${pairs.map((p) => p.receiver.counts.size).join(',')})`,
  );
}

export function assertDelivery(rs: PairReport[], cluster: TestCluster): void {
  const lost = describeProblems(rs, 'lostAcked');
  assert.equal(lost, '', `acknowledged messages never delivered (nor stored offline): ${lost}\n${cluster.logTail(8)}`);
  const dupAcked = describeProblems(rs, 'dupAcked');
  assert.equal(dupAcked, '', `acknowledged messages delivered more than once: ${dupAcked}`);
  // An unacknowledged message may be lost (XEP-0198 §4: only `h` tells the client what the server
  // handled; ARCHITECTURE.md promises nothing for unacknowledged stanzas), but it must never
  // arrive twice either: the hand-off retries carry the stanza id to prevent exactly that.
  const dupUnacked = describeProblems(rs, 'dupUnacked');
  assert.equal(dupUnacked, '', `unacknowledged messages delivered more than once: ${dupUnacked}`);
}

/** Messages sent from `from` on (failover over) were all acknowledged, error-free, delivered once. */
export function assertResumed(pairs: Pair[], from: number, minPerPair = 5): void {
  for (const p of pairs) {
    const late = p.sender.sent.filter((s) => s.at >= from).map((s) => s.seq);
    assert.ok(late.length >= minPerPair, `pair${p.n}: only ${late.length} messages sent after failover`);
    const acked = p.sender.acked();
    const bad = late.filter((s) => !acked.has(s) || p.sender.errors.has(s) || p.receiver.counts.get(s) !== 1);
    assert.deepEqual(
      bad.map((s) => `${s}:acked=${acked.has(s)},error=${p.sender.errors.get(s) ?? '-'},received=${p.receiver.counts.get(s) ?? 0}`),
      [],
      `pair${p.n}: messages sent after failover that did not go through`,
    );
  }
}
