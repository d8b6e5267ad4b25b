// Timing equality of invisibility (#15 items 3 and 5, docs/privacy.md): against one embedded server, a
// stranger measures how long the server takes to answer her about an invisible user and about an
// offline one, and about an online and an offline target of a subscription request. Each pair is
// sampled interleaved, in random order within each round, so drift in the (shared) machine's load hits
// both sides alike. Reported: median, p90, p99, the Mann–Whitney U test (normal approximation, two-sided)
// and a bootstrap 95% interval of the difference of medians.
//
// What the stranger can time:
//   IQs (ping, version, an unknown namespace) to the full and the bare JID: the round trip to the answer;
//   a message to the full or bare JID gets no answer (stored offline in both cases), so the message is
//     followed by a ping to the target's bare JID, which the same session actor answers after it: the
//     round trip shows how long the message held the target's actor;
//   a subscription request gets no answer either: it is followed by a roster get, answered by the
//     stranger's own presence actor after it has processed the request (outbound, RFC 6121 §3.1.2);
//   so is directed presence, which her own presence actor delivers to the target (RFC 6121 §4.6.2).
// Usage: node --import tsx loadtest/bench/privacy-timing.ts [samples=300] [only channels whose name contains this] [gap ms=0]
// A gap between samples lets work the server defers after answering (a subscription request's delivery
// to an online target, docs/privacy.md) finish before the next sample, instead of landing in it.
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import { xml } from '@parley/xml';
import { RawClient } from '../../tests/harness/raw.ts';
import { startTestServer } from '../../tests/harness/server.ts';

const samples = Number(process.argv[2] ?? 300);
const only = process.argv[3] || undefined;
const gapMs = Number(process.argv[4] ?? 0);
const gap = () => (gapMs > 0 ? new Promise((r) => setTimeout(r, gapMs)) : Promise.resolve());
const ts = await startTestServer({
  scramIterations: 4096,
  // The bench sends far more than a person would: no limit may answer in its place.
  limitStanzasPerSec: 1_000_000,
  limitAccountStanzasPerSec: 1_000_000,
  limitSubscriptionsPerMin: 1_000_000,
  limitRosterWritesPerMin: 1_000_000,
  limitOfflinePerSender: 1_000_000,
  offlineQuota: 1_000_000,
});
const d = ts.domain;
await ts.addUsers(['stranger', 'pw-stranger'], ['hidden', 'pw-hidden'], ['absent', 'pw-absent'], ['present', 'pw-present'], ['gone', 'pw-gone']);
const load0 = loadavg();

// The invisible user (XEP-0186) and an online, visible one; "absent" and "gone" never sign in.
const hidden = await RawClient.login(ts.ports.c2s, 'hidden', 'pw-hidden', 'phone', d);
await roundTrip(hidden, (id) => xml('iq', { type: 'set', id }, xml('invisible', { xmlns: 'urn:xmpp:invisible:0' })));
hidden.send(xml('presence'));
const present = await RawClient.login(ts.ports.c2s, 'present', 'pw-present', 'phone', d);
present.send(xml('presence'));
await roundTrip(present, (id) => xml('iq', { type: 'get', id }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
// Their clients would run on their own machines: they stop reading here, so parsing what is delivered to
// them (subscription requests, directed presence) does not run in this process (the server still writes
// it to their sockets).
for (const c of [hidden, present]) (c as unknown as { socket: { pause(): void } }).socket.pause();
const stranger = await RawClient.login(ts.ports.c2s, 'stranger', 'pw-stranger', 'desk', d);
await roundTrip(stranger, (id) => xml('iq', { type: 'get', id }, xml('ping', { xmlns: 'urn:xmpp:ping' })));

/**
 * Sends what `make` builds with a fresh id (after `before`, in the same write: two small writes in a
 * row would wait for the delayed ACK of the first, ≈40 ms, and hide any difference) and waits for the
 * answer with that id; returns milliseconds.
 */
async function roundTrip(c: RawClient, make: (id: string) => ReturnType<typeof xml>, before = ''): Promise<number> {
  const id = randomBytes(6).toString('hex');
  const t0 = performance.now();
  c.send(before + make(id).toString());
  await c.next((e) => e.attr('id') === id, `answer ${id}`, 30_000);
  return performance.now() - t0;
}

const iq = (to: string, payload: () => ReturnType<typeof xml>) => (id: string) => xml('iq', { type: 'get', id, to }, payload());
const ping = () => xml('ping', { xmlns: 'urn:xmpp:ping' });
const version = () => xml('query', { xmlns: 'jabber:iq:version' });
const unknown = () => xml('query', { xmlns: 'urn:example:nothing-here' });

/** One probe: the stranger's observable round trip for `target`. */
type Probe = (target: string) => Promise<number>;
const probes: Array<{ name: string; pair: [string, string]; labels: [string, string]; probe: Probe }> = [];
const invisibleVsOffline = (name: string, probe: Probe, full: boolean) =>
  probes.push({ name, pair: [`hidden@${d}${full ? '/phone' : ''}`, `absent@${d}${full ? '/phone' : ''}`], labels: ['invisible', 'offline'], probe });
for (const full of [true, false]) {
  const where = full ? 'full JID' : 'bare JID';
  invisibleVsOffline(`IQ ping to the ${where}`, (t) => roundTrip(stranger, iq(t, ping)), full);
  invisibleVsOffline(`IQ version to the ${where}`, (t) => roundTrip(stranger, iq(t, version)), full);
  invisibleVsOffline(`IQ unknown namespace to the ${where}`, (t) => roundTrip(stranger, iq(t, unknown)), full);
  invisibleVsOffline(
    `message to the ${where}, then a ping to the bare JID`,
    (t) => roundTrip(stranger, iq(t.split('/')[0]!, ping), xml('message', { to: t, type: 'chat', id: randomBytes(6).toString('hex') }, xml('body', {}, 'hello')).toString()),
    full,
  );
}
probes.push({
  name: 'subscription request, then a roster get',
  pair: [`present@${d}`, `gone@${d}`],
  labels: ['online', 'offline'],
  probe: (t) => roundTrip(stranger, (id) => xml('iq', { type: 'get', id }, xml('query', { xmlns: 'jabber:iq:roster' })), xml('presence', { to: t, type: 'subscribe' }).toString()),
});
// Directed presence (RFC 6121 §4.6) is delivered to the target's available resources, an invisible
// user's included, and answered by no one: followed by a roster get, like the subscription request.
for (const [target, label] of [
  ['hidden', 'invisible'],
  ['present', 'online'],
] as const) {
  probes.push({
    name: `directed presence, then a roster get (${label})`,
    pair: [`${target}@${d}`, `absent@${d}`],
    labels: [label, 'offline'],
    probe: (t) => roundTrip(stranger, (id) => xml('iq', { type: 'get', id }, xml('query', { xmlns: 'jabber:iq:roster' })), xml('presence', { to: t }).toString()),
  });
}

const chosen = probes.filter((p) => only === undefined || p.name.includes(only));
// Warm-up: the first requests open actors and caches for either side.
for (const p of chosen) for (let i = 0; i < 20; i++) for (const t of p.pair) await p.probe(t);

const results: string[] = [];
for (const p of chosen) {
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < samples; i++) {
    if (Math.random() < 0.5) {
      a.push(await p.probe(p.pair[0]));
      await gap();
      b.push(await p.probe(p.pair[1]));
    } else {
      b.push(await p.probe(p.pair[1]));
      await gap();
      a.push(await p.probe(p.pair[0]));
    }
    await gap();
  }
  results.push(row(p.name, p.labels, a, b));
}
const load1 = loadavg();
process.stdout.write(
  `privacy timing, ${samples} samples per side, interleaved${gapMs > 0 ? `, ${gapMs} ms between samples` : ''}; load average ${load0.map((x) => x.toFixed(1)).join(' ')} at start, ${load1.map((x) => x.toFixed(1)).join(' ')} at end\n\n` +
    '| channel | A vs B | A median / p90 / p99 ms | B median / p90 / p99 ms | median A−B ms (bootstrap 95%) | Mann–Whitney p |\n|---|---|---|---|---|---|\n' +
    results.join('\n') +
    '\n',
);
for (const c of [hidden, present, stranger]) c.close();
await ts.stop();

// ---- statistics ------------------------------------------------------------------------------

function quantile(sorted: number[], q: number): number {
  const i = (sorted.length - 1) * q;
  const lo = Math.floor(i);
  const hi = Math.ceil(i);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (i - lo);
}

function row(name: string, labels: [string, string], a: number[], b: number[]): string {
  const sa = [...a].sort((x, y) => x - y);
  const sb = [...b].sort((x, y) => x - y);
  const fmt = (s: number[]) => [0.5, 0.9, 0.99].map((q) => quantile(s, q).toFixed(2)).join(' / ');
  const [lo, hi] = bootstrapMedianDiff(a, b);
  const diff = quantile(sa, 0.5) - quantile(sb, 0.5);
  return `| ${name} | ${labels[0]} vs ${labels[1]} | ${fmt(sa)} | ${fmt(sb)} | ${diff.toFixed(3)} (${lo.toFixed(3)} … ${hi.toFixed(3)}) | ${mannWhitneyP(a, b).toFixed(3)} |`;
}

/** Two-sided p-value of the Mann–Whitney U test, normal approximation with tie correction. */
export function mannWhitneyP(a: number[], b: number[]): number {
  const all = [...a.map((v) => ({ v, g: 0 })), ...b.map((v) => ({ v, g: 1 }))].sort((x, y) => x.v - y.v);
  const ranks = new Array<number>(all.length);
  let tieTerm = 0;
  for (let i = 0; i < all.length; ) {
    let j = i;
    while (j + 1 < all.length && all[j + 1]!.v === all[i]!.v) j++;
    const r = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) ranks[k] = r;
    const t = j - i + 1;
    tieTerm += t ** 3 - t;
    i = j + 1;
  }
  let rankA = 0;
  all.forEach((x, i) => {
    if (x.g === 0) rankA += ranks[i]!;
  });
  const n1 = a.length;
  const n2 = b.length;
  const u = rankA - (n1 * (n1 + 1)) / 2;
  const mean = (n1 * n2) / 2;
  const n = n1 + n2;
  const sd = Math.sqrt(((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1))));
  const z = Math.max(0, Math.abs(u - mean) - 0.5) / sd;
  return Math.min(1, 2 * (1 - normalCdf(z)));
}

function normalCdf(z: number): number {
  // Abramowitz–Stegun 7.1.26 for erf; ample precision for a p-value.
  const t = 1 / (1 + 0.3275911 * (z / Math.SQRT2));
  const erf = 1 - t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429)))) * Math.exp(-(z * z) / 2);
  return 0.5 * (1 + erf);
}

/** 95% percentile-bootstrap interval of median(a) − median(b), 2,000 resamples. */
function bootstrapMedianDiff(a: number[], b: number[]): [number, number] {
  const med = (xs: number[]) => quantile([...xs].sort((x, y) => x - y), 0.5);
  const pick = (xs: number[]) => xs.map(() => xs[Math.floor(Math.random() * xs.length)]!);
  const diffs: number[] = [];
  for (let i = 0; i < 2000; i++) diffs.push(med(pick(a)) - med(pick(b)));
  diffs.sort((x, y) => x - y);
  return [quantile(diffs, 0.025), quantile(diffs, 0.975)];
}
