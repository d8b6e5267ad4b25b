// Assertions shared by the chaos tests.
import assert from 'node:assert/strict';
import { busyLoops, PrivateBackends, type ServerProcess } from './backends.ts';
import { type ClusterProcess, type TestCluster, type URLS, waitFor } from './harness.ts';
import { describeProblems, errorConditions, maxLatency, type Pair, type PairReport, recoveryAfter, report, settle, summary, withPairs } from './traffic.ts';

/**
 * Traffic goes on this long after the kill: failover takes up to the lease TTL plus retries, and the
 * 2 s after RESUME_AFTER_MS still carry ≈20 messages per pair that must all go through.
 */
export const TRAFFIC_AFTER_KILL_MS = 8_000;
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

/**
 * Backend outages: down this long by default, then traffic goes on this long after the return: as
 * long as the recovery bound (5 s), so a recovery at the bound still shows, with ≈50 messages per
 * pair sent after the return to check.
 */
const OUTAGE_MS = 2_000;
const TRAFFIC_AFTER_RETURN_MS = 5_000;
/** Busy loops (one per core of the test machine) start this long before the kill and end this long after the return. */
const CONTENTION_BEFORE_MS = 1_500;
const CONTENTION_AFTER_MS = 1_500;

export interface Outage {
  /** Names the cluster and the users (its first two letters). */
  label: string;
  /** Starts the private server this scenario takes away, and the URLs the cluster uses for it. */
  start(b: PrivateBackends): Promise<{ server: ServerProcess; urls: Partial<typeof URLS>; env?: Record<string, string> }>;
  outageMs?: number;
  /** Busy loops around the outage (CPU contention), none by default. */
  contention?: number;
  env?: Record<string, string>;
  /** The server to take away, chosen once the cluster runs (default: the one `start` returned). */
  victim?(): Promise<ServerProcess>;
  /** Runs while the server is down (started right after the kill); the outage lasts at least until it ends. */
  whileDown?(cluster: TestCluster): Promise<void>;
  /** False: the server stays dead (a node lost for good, its role taken over by another); "the return" is then the end of the outage. */
  restart?: boolean;
  /** More checks once delivery was checked; `back` is when the server returned (or the outage ended). */
  after?(cluster: TestCluster, pairs: Pair[], back: number): Promise<void>;
}

/**
 * A backend goes away under chat traffic (6 pairs, XEP-0198, senders and receivers on different
 * edges) and comes back: 0 acknowledged messages lost, none twice, nothing in offline storage for
 * users who never left, everything sent after the return delivered, recovery within 5 s.
 */
export async function outageUnderTraffic(t: { diagnostic(s: string): void }, o: Outage): Promise<void> {
  const { label } = o;
  const contention = o.contention ?? 0;
  const backends = new PrivateBackends();
  /** Stops the busy loops while they run. */
  const hogs: { stop: (() => Promise<void>) | null } = { stop: null };
  try {
    const started = await o.start(backends);
    const { urls } = started;
    let server = started.server;
    await withPairs({ edges: 2, sessions: 1, presences: 1, label, prefix: label.slice(0, 2), count: 6, befriend: true, urls, env: { ...o.env, ...started.env } }, async ({ cluster, pairs, traffic }) => {
      traffic.start();
      await waitFlowing(pairs);
      // Starved processes fall behind: deliveries pile up in the bus, in flight when it dies.
      if (contention) {
        hogs.stop = busyLoops(contention);
        await new Promise((r) => setTimeout(r, CONTENTION_BEFORE_MS));
      }
      if (o.victim) server = await o.victim();
      await server.kill();
      try {
        await Promise.all([new Promise((r) => setTimeout(r, o.outageMs ?? OUTAGE_MS)), o.whileDown?.(cluster)]);
      } finally {
        // Back even when a check failed: the cluster's clean-up needs its servers.
        if (o.restart !== false) await server.start();
      }
      const back = Date.now();
      if (hogs.stop) {
        await new Promise((r) => setTimeout(r, CONTENTION_AFTER_MS));
        await hogs.stop();
        hogs.stop = null;
      }
      await new Promise((r) => setTimeout(r, TRAFFIC_AFTER_RETURN_MS));
      traffic.stop();
      await settle(pairs, 30_000);

      const rs = await report(pairs, async () => []);
      const recovery = recoveryAfter(pairs, back);
      t.diagnostic(`${label}: ${summary(rs)} (${errorConditions(pairs)}); recovery ${recovery} ms after it returned; slowest delivery ${maxLatency(pairs)} ms`);
      if (rs.some((r) => r.lostAcked.length)) t.diagnostic(await whereLost(cluster, pairs, rs, back));
      assertDelivery(rs, cluster);
      // Nobody left, so nothing may wait in offline storage.
      for (const p of pairs) assert.deepEqual(await cluster.offline(p.receiver.user), [], `offline storage of ${p.receiver.user}`);
      // Every message sent once the backend was back reached its recipient exactly once.
      assertResumed(pairs, back);
      assert.ok(recovery <= 5000, `recovery took ${recovery} ms`);
      await o.after?.(cluster, pairs, back);
    });
  } finally {
    await hogs.stop?.();
    await backends.stop();
  }
}

/**
 * Where the lost messages are: still in the receiver's XEP-0198 outbox (its session actor handled
 * them and published the delivery, so the bus lost them on the way to the edge) or not; and when
 * each process got its bus connection back.
 */
async function whereLost(cluster: TestCluster, pairs: Pair[], rs: PairReport[], back: number): Promise<string> {
  const kept = await cluster.outboxed();
  const lines = rs.flatMap((r) => {
    const p = pairs[r.pair]!;
    return r.lostAcked.map((seq) => {
      const sent = p.sender.sent.find((s) => s.seq === seq)!.at - back;
      const k = kept.find((o) => o.xml.includes(`>pair${r.pair}:${seq}<`));
      return `pair${r.pair}:${seq} sent ${sent} ms after the return: ${k ? `in an outbox, ${k.written ? '' : 'never '}written to the client` : 'in no outbox'}`;
    });
  });
  const bus = cluster.logLines(/bus connection back/).map((l) => l.replace(/"msg":"bus connection back",?/, ''));
  return `lost messages:\n${lines.join('\n')}\nbus reconnections (the return at ${new Date(back).toISOString()}):\n${bus.join('\n')}`;
}

/** A cluster process's /readyz: its status and the dependencies it names as down. */
export async function readyz(p: ClusterProcess): Promise<{ code: number; down: string[] }> {
  const res = await fetch(`http://127.0.0.1:${p.opsPort}/readyz`, { signal: AbortSignal.timeout(5000) });
  const body = (await res.json()) as { down?: string[] };
  return { code: res.status, down: body.down ?? [] };
}
