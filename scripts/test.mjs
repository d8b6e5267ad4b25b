#!/usr/bin/env node
// Runs every *.test.ts under libs/, services/, extensions/, loadtest/ and tests/ with node's test runner (via tsx).
// Usage: node scripts/test.mjs [path-filter ...]
//
// Node 20's runner sorts the files it is given by path, so a long file can start last and leave one
// core idle for minutes. This script schedules the files itself (docs/decisions/0030, point 5): one
// `node --test` per file, PARLEY_TEST_CONCURRENCY (2) at a time, longest first by the durations
// recorded in scripts/test-durations.json, each file's output printed whole when it ends, so the
// log reads file by file. The measured durations of the run are written to .test-durations.json
// (copy it over scripts/test-durations.json to re-balance).
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = join(import.meta.dirname, '..');
const roots = ['libs', 'services', 'extensions', 'loadtest', 'tests'];
const files = [];
function walk(dir) {
  let entries;
  try {
    entries = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of entries) {
    if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (name.endsWith('.test.ts')) files.push(relative(root, p));
  }
}
process.chdir(root);
roots.forEach(walk);
const filters = process.argv.slice(2);
const selected = filters.length ? files.filter((f) => filters.some((x) => f.includes(x))) : files;
if (selected.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}

let known = {};
try {
  known = JSON.parse(readFileSync(join(root, 'scripts/test-durations.json'), 'utf8'));
} catch {
  // no record yet: path order
}
// A file without a record (a new one) is assumed long, so it starts early rather than at the end.
const expected = (f) => known[f] ?? 60;
const byLength = (a, b) => expected(b) - expected(a) || a.localeCompare(b);

const measured = {};
const failed = [];

/** Runs one file in its own `node --test`; its output is printed whole when it ends. */
function runFile(file) {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const child = spawn(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', file], { stdio: ['ignore', 'pipe', 'pipe'] });
    const out = [];
    child.stdout.on('data', (d) => out.push(d));
    child.stderr.on('data', (d) => out.push(d));
    child.on('close', (code, signal) => {
      const s = Math.round((Date.now() - t0) / 100) / 10;
      measured[file] = s;
      const ok = code === 0;
      if (!ok) failed.push(file);
      process.stdout.write(`\n━━ ${ok ? 'ok  ' : 'FAIL'} ${file} (${s} s${ok ? '' : `, exit ${code ?? signal}`})\n`);
      process.stdout.write(Buffer.concat(out));
      resolve();
    });
  });
}

// Files that start a cluster of their own (several processes with 2 s leases): two of them side by
// side on 2 cores starve each other's lease renewals, so at most one runs at a time; the other slots
// take the rest.
const isCluster = (f) => f.startsWith('tests/cluster/');

/** Runs `list` longest first, `n` files at a time, one cluster file at a time. */
async function runAll(list, n) {
  const queue = [...list].sort(byLength);
  let clusterRunning = false;
  const waiting = [];
  const next = () => {
    const i = queue.findIndex((f) => !(clusterRunning && isCluster(f)));
    return i < 0 ? undefined : queue.splice(i, 1)[0];
  };
  const worker = async () => {
    while (queue.length > 0) {
      const f = next();
      if (f === undefined) {
        // only cluster files are left and one is running: wait for a file to end
        await new Promise((r) => waiting.push(r));
        continue;
      }
      if (isCluster(f)) clusterRunning = true;
      await runFile(f);
      if (isCluster(f)) clusterRunning = false;
      for (const r of waiting.splice(0)) r();
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, queue.length) }, worker));
}

async function timed(phase, fn) {
  const t0 = Date.now();
  await fn();
  console.error(`test.mjs: ${phase} took ${Math.round((Date.now() - t0) / 1000)} s`);
}

const concurrency = Number(process.env.PARLEY_TEST_CONCURRENCY ?? '2');
// The chaos tests kill processes and backends under traffic and bound the recovery time; next to
// another test file on a 2-core machine they measure the CPU contention instead (docs/reliability.md),
// so they run after the rest, one at a time.
const isChaos = (f) => /tests\/cluster\/(chaos-[^/]*|readiness)\.test\.ts$/.test(f);
await timed(`main phase (${concurrency} files at a time)`, () => runAll(selected.filter((f) => !isChaos(f)), concurrency));
await timed('chaos phase (one file at a time)', () => runAll(selected.filter(isChaos), 1));

writeFileSync(join(root, '.test-durations.json'), `${JSON.stringify(Object.fromEntries(Object.entries(measured).sort(([a], [b]) => a.localeCompare(b))), null, 1)}\n`);
const slowest = Object.entries(measured)
  .sort(([, a], [, b]) => b - a)
  .slice(0, 12);
console.error(`test.mjs: ${selected.length} files; slowest: ${slowest.map(([f, s]) => `${f} ${s} s`).join(', ')}`);
if (failed.length) {
  console.error(`test.mjs: ${failed.length} file(s) failed:\n${failed.map((f) => `  ${f}`).join('\n')}`);
  process.exit(1);
}
