#!/usr/bin/env node
// Prints the Markdown table of a loadtest/bench/muc.sh run: one row per server, from its result.json.
// Usage: node muc-summary.mjs OUT_DIR server...
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const [dir, ...servers] = process.argv.slice(2);
const f = (n, d = 1) => (Number.isFinite(n) ? n.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d }) : '–');
console.log(
  '| server | occupants / senders | sent msg/s | delivered msg/s | lost | latency p50 / p90 / p99 / max (ms) | server CPU ms per 1,000 delivered | server CPU (% of a core) | generator CPU | errors | load average (before → after) |',
);
console.log('|---|---|---|---|---|---|---|---|---|---|---|');
for (const s of servers) {
  const file = join(dir, s, 'result.json');
  if (!existsSync(file)) {
    console.log(`| ${s} | no result (see ${join(dir, `${s}.txt`)}) |`);
    continue;
  }
  const r = JSON.parse(readFileSync(file, 'utf8'));
  const l = r.latencyMs;
  const load = readFileSync(join(dir, `${s}.loadavg`), 'utf8').trim().split('\n').map((x) => x.split(' ')[0]);
  const errors = Object.keys(r.errors).length ? JSON.stringify(r.errors) : 'none';
  console.log(
    `| ${s} | ${r.config.occupants} / ${r.config.senders} | ${f(r.throughput.sentPerSec)} | ${f(r.throughput.deliveredPerSec)} | ${r.messages.lost} of ${r.messages.expected} | ${f(l.p50, 2)} / ${f(l.p90, 2)} / ${f(l.p99, 2)} / ${f(l.max, 1)} | ${f(r.server?.cpuMsPer1000Delivered, 0)} | ${f(r.server?.cpuPctAvg)} % | ${f(r.generator.cpuPctAvg)} % | ${errors} | ${load.join(' → ')} |`,
  );
}
