#!/usr/bin/env node
// Prints the Markdown table of a loadtest/bench/tsung.sh run: per server, what tsung delivered, its
// latency, and the server's CPU over the message window per 1,000 delivered, with the ratio to ejabberd's.
// Usage: node tsung-summary.mjs OUT_DIR USERS MESSAGES label...
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const [dir, users, messages, ...labels] = process.argv.slice(2);
if (!dir || !Number(users) || !Number(messages) || labels.length === 0) {
  console.error('usage: tsung-summary.mjs OUT_DIR USERS MESSAGES label...');
  process.exit(2);
}
const offered = Number(users) * Number(messages);

/** tsung.log "stats: NAME count mean stddev max min cumulative_mean cumulative_count" lines, one per 10 s dump. */
function statLines(log, name) {
  return log
    .split('\n')
    .filter((l) => l.startsWith(`stats: ${name} `))
    .map((l) => l.split(/\s+/).slice(2).map(Number));
}

function tsungStats(label) {
  const base = join(dir, `${label}.tsung`);
  const sub = readdirSync(base).sort().pop();
  const log = readFileSync(join(base, sub, 'tsung.log'), 'utf8');
  // Pool the per-dump samples: total count, mean and standard deviation over every period, and the max.
  let n = 0;
  let sum = 0;
  let sumSq = 0;
  let max = 0;
  for (const [count, mean, sd, mx] of statLines(log, 'xmpp_msg_latency')) {
    if (count > 0) {
      n += count;
      sum += count * mean;
      sumSq += count * (sd * sd + mean * mean);
    }
    max = Math.max(max, mx || 0);
  }
  const mean = n ? sum / n : Number.NaN;
  const errors = {};
  for (const l of log.split('\n')) {
    const m = /^stats: (error_\S+) \S+ (\d+)/.exec(l);
    if (m) errors[m[1]] = Math.max(errors[m[1]] ?? 0, Number(m[2]));
  }
  return { delivered: n, mean, sd: n ? Math.sqrt(Math.max(0, sumSq / n - mean * mean)) : Number.NaN, max, errors };
}

const f = (x, d = 0) => (Number.isFinite(x) ? x.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d }) : '–');
const rows = labels.map((label) => {
  const t = tsungStats(label);
  const [start, end, before, after, hz] = readFileSync(join(dir, `${label}.window`), 'utf8').trim().split(' ').map(Number);
  const cpuS = (after - before) / hz;
  const windowS = (end - start) / 1000;
  const timeFile = join(dir, `${label}.tsung-time`);
  const gen = existsSync(timeFile) ? readFileSync(timeFile, 'utf8').trim().split('\n').pop().split(' ').map(Number) : [];
  const load = readFileSync(join(dir, `${label}.loadavg`), 'utf8').trim().split('\n');
  return { label, ...t, cpuS, windowS, perK: t.delivered ? (cpuS * 1e6) / t.delivered : Number.NaN, gen: gen[0] + gen[1], load };
});
const ej = rows.find((r) => r.label === 'ejabberd');
console.log(
  '| server | offered | delivered (lost) | delivered/s in window | latency mean ± sd (ms) | max (ms) | server CPU in window (s, % of a core) | **CPU-ms per 1,000 delivered** | vs ejabberd | tsung CPU-s | load avg before → after | errors |',
);
console.log('|---|---|---|---|---|---|---|---|---|---|---|---|');
for (const r of rows) {
  const ratio = ej && r !== ej ? `${f(r.perK / ej.perK, 2)}×` : '–';
  const errs = Object.keys(r.errors).length ? Object.entries(r.errors).map(([k, v]) => `${k} ${v}`).join(', ') : 'none';
  console.log(
    `| ${r.label} | ${f(offered)} | ${f(r.delivered)} (${f(offered - r.delivered)}) | ${f(r.delivered / r.windowS)} | ${f(r.mean, 2)} ± ${f(r.sd, 2)} | ${f(r.max, 1)} | ${f(r.cpuS, 2)} in ${f(r.windowS, 1)} s (${f((r.cpuS / r.windowS) * 100)} %) | **${f(r.perK)}** | ${ratio} | ${f(r.gen, 1)} | ${r.load.join(' → ')} | ${errs} |`,
  );
}
