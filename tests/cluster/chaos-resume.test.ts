// Chaos with XEP-0198 resumption (§5): clients chat under traffic, one edge is killed (kill -9), and
// its clients resume their sessions on the other edge, as Conversations or Monal would. Counted:
// messages the server acknowledged that never arrived (lost) and messages that arrived twice
// (duplicated), over every pair — both must be 0. Compare tests/cluster/chaos-edge.test.ts, where
// the clients log in afresh instead and in-flight messages may repeat.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Element, xml } from '@parley/xml';
import { RawClient, stanzaErrorCondition } from '../harness/raw.ts';
import { DOMAIN, password, TestCluster, waitFor } from './harness.ts';

const NS_SM = 'urn:xmpp:sm:3';
const PAIRS = 10;
const INTERVAL_MS = 100;

/** A client with XEP-0198 and resumption, as a mobile client keeps it: counters survive the socket. */
class ResumingPeer {
  client!: RawClient;
  smId = '';
  /** §4: stanzas received since <enabled/> (continued across resumptions). */
  inbound = 0;
  private counting = false;
  /** Message seq at each outbound stream position since <enabled/> (§5: renumbered from the server's h on resume). */
  private positions: number[] = [];
  /** Highest h the server reported (<a/> or <resumed/>). */
  private serverH = 0;
  /** Seqs the server has acknowledged at some point (on any connection). */
  readonly ackedSeqs = new Set<number>();
  readonly counts = new Map<number, number>();
  readonly errors = new Map<number, string>();
  readonly sent: Array<{ seq: number; at: number }> = [];
  resumed = 0;
  private nextSeq = 0;
  private online = false;

  constructor(
    readonly user: string,
    readonly pair: number,
  ) {}

  get jid(): string {
    return `${this.user}@${DOMAIN}`;
  }

  async connect(port: number): Promise<void> {
    const c = await RawClient.login(port, this.user, password(this.user), 'phone', DOMAIN);
    this.hook(c);
    c.send(xml('presence'));
    await c.rosterGet();
    c.send(xml('enable', { xmlns: NS_SM, resume: 'true' }));
    const enabled = await c.next((e) => e.is('enabled', NS_SM), 'XEP-0198 enabled with resumption', 15_000);
    this.smId = enabled.attr('id') ?? '';
    assert.ok(this.smId && enabled.attr('resume') === 'true', 'the server offers resumption');
    this.online = true;
  }

  /** §5: a new connection to `port`, authenticated, then <resume/> instead of binding. */
  async resume(port: number): Promise<void> {
    this.online = false;
    const c = await RawClient.open(port, DOMAIN);
    await c.startStream();
    await c.starttls();
    const auth = await c.authenticate(this.user, password(this.user));
    assert.equal(auth, 'success');
    this.hook(c);
    c.send(xml('resume', { xmlns: NS_SM, previd: this.smId, h: String(this.inbound) }));
    const answer = await c.next((e) => (e.is('resumed', NS_SM) || e.is('failed', NS_SM)), 'the resumption answer', 20_000);
    assert.equal(answer.name, 'resumed', `${this.user} resumed (got ${answer.toString()})`);
    const h = Number(answer.attr('h'));
    this.ack(h);
    // §5: what the server did not count is sent again, taking the positions after its h.
    const again = this.positions.slice(h);
    this.positions = this.positions.slice(0, h);
    this.online = true;
    for (const seq of again) this.transmit(seq);
    this.resumed++;
  }

  private hook(c: RawClient): void {
    this.client = c;
    const push = c.inbox.push.bind(c.inbox);
    c.inbox.push = (el: Element) => {
      if (!this.onElement(el, c)) push(el);
    };
  }

  private onElement(el: Element, c: RawClient): boolean {
    if (el.is('enabled', NS_SM) || el.is('resumed', NS_SM)) {
      this.counting = true;
      return false;
    }
    if (this.counting && (el.name === 'message' || el.name === 'presence' || el.name === 'iq')) this.inbound++;
    if (el.is('r', NS_SM)) {
      c.send(xml('a', { xmlns: NS_SM, h: String(this.inbound) }));
      return true;
    }
    if (el.is('a', NS_SM)) {
      this.ack(Number(el.attr('h')));
      return true;
    }
    if (!el.is('message')) return false;
    if (el.attr('type') === 'error') {
      const m = /^p(\d+)-(\d+)$/.exec(el.attr('id') ?? '');
      if (m && Number(m[1]) === this.pair) this.errors.set(Number(m[2]), stanzaErrorCondition(el) ?? '(none)');
      return true;
    }
    const m = /^pair(\d+):(\d+)$/.exec(el.getChildText('body') ?? '');
    if (!m || Number(m[1]) !== this.pair) return false;
    const seq = Number(m[2]);
    this.counts.set(seq, (this.counts.get(seq) ?? 0) + 1);
    return true;
  }

  private ack(h: number): void {
    if (h > this.serverH) this.serverH = h;
    for (let i = 0; i < Math.min(h, this.positions.length); i++) this.ackedSeqs.add(this.positions[i]!);
  }

  private transmit(seq: number): void {
    this.positions.push(seq);
    this.client.send(xml('message', { to: this.partner, type: 'chat', id: `p${this.pair}-${seq}` }, xml('body', null, `pair${this.pair}:${seq}`)));
  }

  partner = '';

  /** The next numbered message (skipped while the connection is down, as the app shows "sending…"). */
  sendNext(): void {
    if (!this.online || this.client.inbox.isClosed) return;
    const seq = this.nextSeq++;
    this.sent.push({ seq, at: Date.now() });
    this.transmit(seq);
    if (seq % 10 === 9) this.client.send(xml('r', { xmlns: NS_SM }));
  }

  requestAck(): void {
    if (this.online && !this.client.inbox.isClosed) this.client.send(xml('r', { xmlns: NS_SM }));
  }

  allAcked(): boolean {
    return this.serverH >= this.positions.length;
  }
}

test('clients of a killed edge resume on the other edge: no acknowledged message lost, none delivered twice', { timeout: 240_000 }, async (t) => {
  const cluster = await TestCluster.start({ edges: 2, sessions: 1, presences: 1, label: 'chaos-resume' });
  const pairs = Array.from({ length: PAIRS }, (_, n) => ({ n, sender: new ResumingPeer(`crs${n}`, n), receiver: new ResumingPeer(`crr${n}`, n) }));
  const timers: NodeJS.Timeout[] = [];
  try {
    await cluster.addUsers(pairs.flatMap((p) => [p.sender.user, p.receiver.user]));
    const [edge1, edge2] = cluster.edges();
    assert.ok(edge1 && edge2);
    // Pair n's sender on edge n % 2, its receiver on the other: the kill hits senders and receivers.
    for (const p of pairs) {
      p.sender.partner = p.receiver.jid;
      p.receiver.partner = p.sender.jid;
      await p.receiver.connect([edge1, edge2][(p.n + 1) % 2]!.c2s);
      await p.sender.connect([edge1, edge2][p.n % 2]!.c2s);
    }
    const victims = pairs.flatMap((p) => (p.n % 2 === 0 ? [p.sender] : [p.receiver]));

    pairs.forEach((p, i) => {
      timers.push(
        setTimeout(() => {
          timers.push(setInterval(() => p.sender.sendNext(), INTERVAL_MS));
        }, (i * INTERVAL_MS) / PAIRS),
      );
    });
    await waitFor(() => pairs.every((p) => p.receiver.counts.size >= 5), 30_000, () => 'traffic to flow');

    await edge1.kill();
    const killedAt = Date.now();
    // Each client notices its dead socket and resumes on the surviving edge, traffic going on.
    await Promise.all(
      victims.map(async (peer) => {
        await peer.client.closed;
        await peer.resume(edge2.c2s);
      }),
    );
    t.diagnostic(`all ${victims.length} clients of the killed edge resumed ${Date.now() - killedAt} ms after the kill`);
    await new Promise((r) => setTimeout(r, 3000));
    for (const x of timers) clearTimeout(x);

    // Settle: every sender's stream fully acknowledged, every receiver flushed.
    await waitFor(
      () => {
        for (const p of pairs) if (!p.sender.allAcked()) p.sender.requestAck();
        return pairs.every((p) => p.sender.allAcked());
      },
      30_000,
      () => 'every sent message to be acknowledged',
    );
    await waitFor(
      () => pairs.every((p) => [...p.sender.ackedSeqs].every((s) => p.sender.errors.has(s) || p.receiver.counts.has(s))),
      20_000,
      () => 'every acknowledged message to arrive',
    ).catch(() => {});
    await Promise.all(pairs.map((p) => p.receiver.client.ping()));

    let sent = 0;
    let acked = 0;
    let errors = 0;
    const lost: string[] = [];
    const duplicated: string[] = [];
    for (const p of pairs) {
      sent += p.sender.sent.length;
      acked += p.sender.ackedSeqs.size;
      errors += p.sender.errors.size;
      const stored = new Set((await cluster.offline(p.receiver.user)).map((x) => Number(/pair\d+:(\d+)/.exec(x)?.[1])));
      for (const s of p.sender.ackedSeqs) if (!p.sender.errors.has(s) && !p.receiver.counts.has(s) && !stored.has(s)) lost.push(`pair${p.n}:${s}`);
      for (const [s, c] of p.receiver.counts) if (c > 1) duplicated.push(`pair${p.n}:${s}×${c}`);
    }
    t.diagnostic(`sent ${sent}, acknowledged ${acked}, error replies ${errors}, lost ${lost.length}, duplicated ${duplicated.length}, resumptions ${victims.length}`);
    assert.deepEqual(lost, [], `acknowledged messages lost\n${cluster.logTail(10)}`);
    assert.deepEqual(duplicated, [], 'messages delivered twice');
    assert.equal(errors, 0, 'no error replies');
    assert.ok(victims.every((v) => v.resumed === 1));
  } finally {
    for (const x of timers) clearTimeout(x);
    for (const p of pairs) {
      p.sender.client?.close();
      p.receiver.client?.close();
    }
    await cluster.stop();
  }
});
