#!/usr/bin/env node
// Prints a Markdown table comparing tsung and parley-load runs written by run.sh.
// Usage: node summarize.mjs RESULTS_DIR server...
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const [dir, ...servers] = process.argv.slice(2);

function tsung(name) {
  const base = join(dir, `tsung-${name}`);
  const sub = readdirSync(base).sort().pop();
  const log = readFileSync(join(base, sub, 'tsung.log'), 'utf8');
  // "stats: NAME count mean stddev max min globalmean globalcount" every 10 s; the last line holds the totals.
  const last = (stat) => {
    const lines = log.split('\n').filter((l) => l.startsWith(`stats: ${stat} `));
    return lines.length ? lines[lines.length - 1].split(/\s+/) : undefined;
  };
  const lat = last('xmpp_msg_latency');
  let maxLat = 0;
  for (const l of log.split('\n').filter((x) => x.startsWith('stats: xmpp_msg_latency '))) {
    maxLat = Math.max(maxLat, Number(l.split(/\s+/)[5]));
  }
  const errors = log
    .split('\n')
    .filter((l) => /^stats: error_/.test(l))
    .reduce((m, l) => {
      const [, k, , , , , , , total] = l.split(/\s+/);
      m[k] = Number(total ?? 0) || m[k] || 0;
      return m;
    }, {});
  const [b, a, hz] = readFileSync(`${base}.servercpu`, 'utf8').trim().split(' ').map(Number);
  const [u, s] = readFileSync(`${base}.time`, 'utf8').trim().split('\n').pop().split(' ').map(Number);
  const received = lat ? Number(lat[8]) : 0;
  return {
    received,
    meanMs: lat ? Number(lat[7]) : NaN,
    maxMs: maxLat,
    serverCpuMsPer1000: received ? (((a - b) / hz) * 1e6) / received : NaN,
    generatorCpuS: u + s,
    errors,
  };
}

function parleyLoad(name) {
  return JSON.parse(readFileSync(join(dir, `parley-load-${name}`, 'result.json'), 'utf8'));
}

const f = (n, d = 2) => (Number.isFinite(n) ? n.toFixed(d) : '–');
console.log('| server | tool | delivered msg/s | latency mean (ms) | p50 / p99 (ms) | max (ms) | lost | server CPU ms / 1,000 msgs | generator CPU s | errors |');
console.log('|---|---|---|---|---|---|---|---|---|---|');
for (const s of servers) {
  const t = tsung(s);
  const p = parleyLoad(s);
  const tDur = Number(process.env.DURATION ?? 60);
  console.log(
    `| ${s} | tsung 1.7 | ${f(t.received / tDur, 1)} (${t.received} msgs) | ${f(t.meanMs)} | – | ${f(t.maxMs)} | – | ${f(t.serverCpuMsPer1000, 0)} (whole run) | ${f(t.generatorCpuS, 1)} | ${JSON.stringify(t.errors)} |`,
  );
  console.log(
    `| ${s} | parley-load | ${f(p.throughput.deliveredPerSec, 1)} (${p.messages.received} msgs) | ${f(p.latencyMs.mean)} | ${f(p.latencyMs.p50)} / ${f(p.latencyMs.p99)} | ${f(p.latencyMs.max)} | ${p.messages.lost} | ${f(p.server?.cpuMsPer1000Delivered, 0)} (window) | ${f(p.generator.cpuSecondsInWindow, 1)} (window) | ${JSON.stringify(p.errors)} |`,
  );
}
