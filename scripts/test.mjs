#!/usr/bin/env node
// Runs every *.test.ts under libs/, services/, extensions/, loadtest/ and tests/ with node's test runner (via tsx).
// Usage: node scripts/test.mjs [path-filter ...]
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

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
    else if (name.endsWith('.test.ts')) files.push(p);
  }
}
roots.forEach(walk);
const filters = process.argv.slice(2);
const selected = filters.length ? files.filter((f) => filters.some((x) => f.includes(x))) : files;
if (selected.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
// Node 20's runner sorts the files it is given by path whatever their order here, so the long
// files (the shared cluster, tests/cluster/shared.test.ts) cannot be put first (docs/decisions/0030).
selected.sort();
const concurrency = process.env.PARLEY_TEST_CONCURRENCY ?? '2';
// The chaos tests kill processes and backends under traffic and bound the recovery time; next to
// another test file on a 2-core machine they measure the CPU contention instead (docs/reliability.md),
// so they run after the rest, one at a time.
const isChaos = (f) => /tests\/cluster\/(chaos-[^/]*|readiness)\.test\.ts$/.test(f);
const run = (files, n) =>
  files.length === 0
    ? 0
    : (spawnSync(process.execPath, ['--import', 'tsx', '--test', `--test-concurrency=${n}`, '--test-reporter=spec', ...files], { stdio: 'inherit' }).status ?? 1);
const timed = (phase, fn) => {
  const t0 = Date.now();
  const code = fn();
  console.error(`test.mjs: ${phase} took ${Math.round((Date.now() - t0) / 1000)} s`);
  return code;
};
const rest = timed(`main phase (--test-concurrency=${concurrency})`, () => run(selected.filter((f) => !isChaos(f)), concurrency));
const chaos = timed('chaos phase (one file at a time)', () => run(selected.filter(isChaos), '1'));
process.exit(rest !== 0 ? rest : chaos);
