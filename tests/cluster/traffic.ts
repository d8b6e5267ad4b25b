// Numbered chat traffic between client pairs, with XEP-0198 acknowledgements, to check what a
// cluster promises under failure (ARCHITECTURE.md, Actors): a message is acknowledged (`<a h/>`)
// only after its owning actor accepted it, so every acknowledged message must reach its recipient
// exactly once; an unacknowledged one may be lost (the client was never told it arrived).
import { type Element, xml } from '@parley/xml';
import { type ClusterOptions, DOMAIN, password, TestCluster, waitFor } from './harness.ts';
import { RawClient, stanzaErrorCondition } from '../harness/raw.ts';

const NS_SM = 'urn:xmpp:sm:3';

export interface Sent {
  seq: number;
  at: number;
}

/** One connection of a sender, with stream management on; its stanza i is message `stanzas[i]`. */
class SenderConn {
  readonly stanzas: number[] = [];
  /** Highest `h` the server acknowledged on this connection. */
  h = 0;
  /** XEP-0198 inbound count: stanzas received since <enabled/>, reported when the server asks. */
  inbound = 0;
  counting = false;
  constructor(readonly client: RawClient) {}
}

/** One participant of a pair: logs in, counts and checks what it receives. */
export class Peer {
  client!: RawClient;
  /** Bodies `pairN:seq` received, in order of arrival, over all connections. */
  readonly received: number[] = [];
  readonly counts = new Map<number, number>();
  /** First arrival time of each seq (for latency). */
  readonly arrivedAt = new Map<number, number>();
  /** Arrival times of second and later copies. */
  readonly repeats = new Map<number, number[]>();
  /** Stanza errors for our own messages, by seq. */
  readonly errors = new Map<number, string>();
  resourceNo = 0;
  readonly jid: string;
  private conn: SenderConn | null = null;
  readonly conns: SenderConn[] = [];
  readonly sent: Sent[] = [];
  private nextSeq = 0;

  constructor(
    readonly user: string,
    readonly pair: number,
  ) {
    this.jid = `${user}@${DOMAIN}`;
  }

  get resource(): string {
    return `r${this.resourceNo}`;
  }

  get fullJid(): string {
    return `${this.jid}/${this.resource}`;
  }

  /** Logs in on `port` with a new resource, XEP-0198 on, available presence sent (and processed). */
  async connect(port: number): Promise<void> {
    this.resourceNo += 1;
    const c = await RawClient.login(port, this.user, password(this.user), this.resource, DOMAIN);
    this.client = c;
    const conn = new SenderConn(c);
    // Count chat messages as they arrive rather than buffering them in the inbox.
    const push = c.inbox.push.bind(c.inbox);
    c.inbox.push = (el: Element) => {
      if (!this.onStanza(el, conn)) push(el);
    };
    c.send(xml('presence'));
    // The roster get is handled by our presence actor after the presence: once answered, we are
    // available in the location service (so messages to our bare JID reach this connection).
    await c.rosterGet();
    c.send(xml('enable', { xmlns: NS_SM }));
    await c.next((e) => e.is('enabled', NS_SM), 'XEP-0198 enabled', 15_000);
    this.conn = conn;
    this.conns.push(conn);
  }

  private onStanza(el: Element, conn: SenderConn): boolean {
    // As a real XEP-0198 client: count stanzas from <enabled/> on and answer the server's <r/>.
    if (el.is('enabled', NS_SM)) conn.counting = true;
    else if (conn.counting && (el.name === 'message' || el.name === 'presence' || el.name === 'iq')) conn.inbound++;
    if (el.is('r', NS_SM)) {
      conn.client.send(xml('a', { xmlns: NS_SM, h: String(conn.inbound) }));
      return true;
    }
    if (el.is('a', NS_SM)) {
      const h = Number(el.attr('h'));
      if (h > conn.h) conn.h = h;
      return true;
    }
    if (!el.is('message')) return false;
    const id = el.attr('id') ?? '';
    if (el.attr('type') === 'error') {
      const m = /^p(\d+)-(\d+)$/.exec(id);
      if (m && Number(m[1]) === this.pair) {
        this.errors.set(Number(m[2]), stanzaErrorCondition(el) ?? '(none)');
        return true;
      }
      return false;
    }
    const body = el.getChildText('body') ?? '';
    const m = /^pair(\d+):(\d+)$/.exec(body);
    if (!m || Number(m[1]) !== this.pair) return false;
    const seq = Number(m[2]);
    this.received.push(seq);
    this.counts.set(seq, (this.counts.get(seq) ?? 0) + 1);
    if (!this.arrivedAt.has(seq)) this.arrivedAt.set(seq, Date.now());
    else (this.repeats.get(seq) ?? this.repeats.set(seq, []).get(seq)!).push(Date.now());
    return true;
  }

  /** Sends the next numbered message to `to` on the current connection. */
  sendNext(to: string): void {
    const conn = this.conn;
    if (!conn || this.client.inbox.isClosed) return;
    const seq = this.nextSeq++;
    conn.stanzas.push(seq);
    this.sent.push({ seq, at: Date.now() });
    this.client.send(xml('message', { to, type: 'chat', id: `p${this.pair}-${seq}` }, xml('body', null, `pair${this.pair}:${seq}`)));
    if (seq % 10 === 9) this.requestAck();
  }

  requestAck(): void {
    if (this.conn && !this.client.inbox.isClosed) this.client.send(xml('r', { xmlns: NS_SM }));
  }

  /** Connection lost (its edge died): stop counting it as the current one. */
  dropConnection(): void {
    this.conn = null;
  }

  /** Every sent seq the server acknowledged (on any connection). */
  acked(): Set<number> {
    const out = new Set<number>();
    for (const c of this.conns) for (let i = 0; i < c.h; i++) out.add(c.stanzas[i]!);
    return out;
  }

  /** Asks for acks until the current connection's h covers every stanza sent on it. */
  async drainAcks(timeoutMs: number): Promise<void> {
    const conn = this.conn;
    if (!conn) return;
    await waitFor(
      () => {
        if (conn.h >= conn.stanzas.length) return true;
        this.requestAck();
        return false;
      },
      timeoutMs,
      () => `${this.user}: acks to cover ${conn.stanzas.length} stanzas (h=${conn.h})`,
    );
  }

  stop(): void {
    this.client?.close();
  }
}

export interface Pair {
  n: number;
  sender: Peer;
  receiver: Peer;
}

/** Pairs `${prefix}s<n>` → `${prefix}r<n>`; sender and receiver of a pair on different edges. */
export function makePairs(prefix: string, count: number): Pair[] {
  return Array.from({ length: count }, (_, n) => ({ n, sender: new Peer(`${prefix}s${n}`, n), receiver: new Peer(`${prefix}r${n}`, n) }));
}

export function pairUsers(pairs: Pair[]): string[] {
  return pairs.flatMap((p) => [p.sender.user, p.receiver.user]);
}

/** Connects all peers; pair n's sender on ports[n % len], its receiver on the next port. */
export async function connectPairs(pairs: Pair[], ports: number[]): Promise<void> {
  const jobs: Array<() => Promise<void>> = [];
  for (const p of pairs) {
    jobs.push(() => p.receiver.connect(ports[(p.n + 1) % ports.length]!));
    jobs.push(() => p.sender.connect(ports[p.n % ports.length]!));
  }
  // A few logins at a time: SCRAM and TLS handshakes are CPU work on a small machine.
  await runLimited(jobs, 6);
}

async function runLimited(jobs: Array<() => Promise<void>>, limit: number): Promise<void> {
  let i = 0;
  const worker = async () => {
    while (i < jobs.length) await jobs[i++]!();
  };
  await Promise.all(Array.from({ length: limit }, worker));
}

/** Each sender sends one message every `intervalMs` (staggered), until stopped. */
export class Traffic {
  private timers: NodeJS.Timeout[] = [];
  startedAt = 0;

  constructor(
    private readonly pairs: Pair[],
    private readonly intervalMs = 100,
  ) {}

  start(): void {
    this.startedAt = Date.now();
    this.pairs.forEach((p, i) => {
      const kick = setTimeout(
        () => {
          p.sender.sendNext(p.receiver.jid);
          this.timers.push(setInterval(() => p.sender.sendNext(p.receiver.jid), this.intervalMs));
        },
        (i * this.intervalMs) / this.pairs.length,
      );
      this.timers.push(kick);
    });
  }

  stop(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers = [];
  }
}

export interface PairReport {
  pair: number;
  sent: number;
  acked: number;
  errors: number;
  /** Acked without an error reply but never received (and not stored offline). */
  lostAcked: number[];
  /** Received more than once, split by whether the sender had them acknowledged. */
  dupAcked: number[];
  dupUnacked: number[];
  /** Sent, not acked, not received: allowed (the client was never told they arrived). */
  lostUnacked: number;
  /** Receive order went backwards somewhere. */
  reordered: boolean;
}

/**
 * What must have arrived: acked messages without an error reply. XEP-0198 §4 counts a stanza the
 * server answered with an error as handled too, and the error tells the sender it was not delivered.
 */
export function mustArrive(p: Pair): number[] {
  const acked = p.sender.acked();
  return [...acked].filter((s) => !p.sender.errors.has(s)).sort((a, b) => a - b);
}

/**
 * Polls until every receiver has each must-arrive message (or the time is up), then flushes them.
 * `since(pair)`: only messages sent from then on are waited for (those before may be lost by design).
 */
export async function settle(pairs: Pair[], timeoutMs: number, since: (p: Pair) => number = () => 0): Promise<void> {
  await Promise.all(pairs.map((p) => p.sender.drainAcks(timeoutMs)));
  await waitFor(
    () =>
      pairs.every((p) => {
        const from = since(p);
        const late = new Set(p.sender.sent.filter((s) => s.at >= from).map((s) => s.seq));
        return mustArrive(p).every((s) => !late.has(s) || p.receiver.counts.has(s));
      }),
    timeoutMs,
    () => 'every acknowledged message to arrive',
  ).catch(() => {
    // Reported precisely by the assertions; waiting longer would not change the outcome.
  });
  // A ping is answered by the receiver's own session actor, which also delivered its messages:
  // after the answer nothing more is on its way to that connection (tests/harness/flush.ts).
  await Promise.all(pairs.map((p) => p.receiver.client.ping()));
}

export async function report(pairs: Pair[], offline: (user: string) => Promise<string[]>): Promise<PairReport[]> {
  const out: PairReport[] = [];
  for (const p of pairs) {
    const acked = p.sender.acked();
    const must = mustArrive(p);
    let lostAcked = must.filter((s) => !p.receiver.counts.has(s));
    if (lostAcked.length) {
      const stored = new Set((await offline(p.receiver.user)).map((x) => Number(/pair\d+:(\d+)/.exec(x)?.[1])));
      lostAcked = lostAcked.filter((s) => !stored.has(s));
    }
    const dups = [...p.receiver.counts].filter(([, c]) => c > 1).map(([s]) => s);
    const receivedSet = new Set(p.receiver.counts.keys());
    let reordered = false;
    for (let i = 1; i < p.receiver.received.length; i++) if (p.receiver.received[i]! <= p.receiver.received[i - 1]!) reordered = true;
    out.push({
      pair: p.n,
      sent: p.sender.sent.length,
      acked: acked.size,
      errors: p.sender.errors.size,
      lostAcked,
      dupAcked: dups.filter((s) => acked.has(s)),
      dupUnacked: dups.filter((s) => !acked.has(s)),
      lostUnacked: p.sender.sent.filter((x) => !acked.has(x.seq) && !receivedSet.has(x.seq)).length,
      reordered,
    });
  }
  return out;
}

export function summary(rs: PairReport[]): string {
  const sum = (f: (r: PairReport) => number) => rs.reduce((a, r) => a + f(r), 0);
  return (
    `sent ${sum((r) => r.sent)}, acked ${sum((r) => r.acked)}, error replies ${sum((r) => r.errors)}, ` +
    `lost acked ${sum((r) => r.lostAcked.length)}, duplicated acked ${sum((r) => r.dupAcked.length)}, ` +
    `duplicated unacked ${sum((r) => r.dupUnacked.length)}, lost unacked ${sum((r) => r.lostUnacked)}`
  );
}

/** Failures in a readable form: which pair, which sequence numbers. */
export function describeProblems(rs: PairReport[], key: 'lostAcked' | 'dupAcked' | 'dupUnacked'): string {
  return rs
    .filter((r) => r[key].length > 0)
    .map((r) => `pair${r.pair}: ${r[key].slice(0, 20).join(',')}${r[key].length > 20 ? '…' : ''}`)
    .join('; ');
}

/** Longest time from sending to first arrival over all pairs, in ms. */
export function maxLatency(pairs: Pair[]): number {
  let max = 0;
  for (const p of pairs) {
    for (const s of p.sender.sent) {
      const at = p.receiver.arrivedAt.get(s.seq);
      if (at !== undefined) max = Math.max(max, at - s.at);
    }
  }
  return max;
}

/** Timeline of duplicated messages relative to `t0` (sent, first and later arrivals), for failure messages. */
export function duplicateTimeline(pairs: Pair[], t0: number): string {
  const out: string[] = [];
  for (const p of pairs) {
    for (const [seq, times] of p.receiver.repeats) {
      const sent = p.sender.sent.find((s) => s.seq === seq)?.at ?? Number.NaN;
      out.push(`pair${p.n}:${seq} sent ${sent - t0} ms, arrived ${(p.receiver.arrivedAt.get(seq) ?? 0) - t0} and ${times.map((x) => x - t0).join(',')} ms (relative to the kill)`);
    }
  }
  return out.join('; ');
}

export interface PairsScenario {
  cluster: TestCluster;
  pairs: Pair[];
  traffic: Traffic;
}

/**
 * The common frame of the cluster scenarios: a cluster, `count` pairs provisioned (and subscribed
 * to each other when `befriend`), logged in with senders and receivers on different edges, and
 * everything stopped afterwards whatever happened.
 */
export async function withPairs(
  opts: ClusterOptions & { prefix: string; count: number; befriend?: boolean },
  body: (s: PairsScenario) => Promise<void>,
): Promise<void> {
  const cluster = await TestCluster.start(opts);
  const pairs = makePairs(opts.prefix, opts.count);
  const traffic = new Traffic(pairs);
  try {
    await cluster.addUsers(pairUsers(pairs));
    if (opts.befriend) for (const p of pairs) await cluster.befriend(p.sender.user, p.receiver.user);
    await connectPairs(
      pairs,
      cluster.edges().map((e) => e.c2s),
    );
    await body({ cluster, pairs, traffic });
  } finally {
    traffic.stop();
    for (const p of pairs) {
      p.sender.stop();
      p.receiver.stop();
    }
    await cluster.stop();
  }
}

/**
 * Recovery time after a dependency returned at `t0`: for each pair, the first arrival from then
 * on (a held message or a new one); the slowest pair counts. Infinity if a pair received nothing.
 */
export function recoveryAfter(pairs: Pair[], t0: number): number {
  let worst = 0;
  for (const p of pairs) {
    let first = Number.POSITIVE_INFINITY;
    for (const at of p.receiver.arrivedAt.values()) if (at >= t0 && at < first) first = at;
    worst = Math.max(worst, first - t0);
  }
  return worst;
}

/** Error replies the senders got, counted by condition ("resource-constraint×3"), for diagnostics. */
export function errorConditions(pairs: Pair[]): string {
  const counts = new Map<string, number>();
  for (const p of pairs) for (const c of p.sender.errors.values()) counts.set(c, (counts.get(c) ?? 0) + 1);
  return [...counts].map(([c, n]) => `${c}×${n}`).join(', ') || 'none';
}
