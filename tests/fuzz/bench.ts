// The long fuzzing run (issue 9 item 8): ≥ 1,000,000 cases over the XML parser, SASL and the c2s
// state machine. Prints a Markdown table row per target for docs/fuzzing.md; exits non-zero on the
// first failure, with fast-check's counterexample and seed to replay it.
// Usage: node --import tsx tests/fuzz/bench.ts [--parser N] [--sasl N] [--c2s N] [--seed S]
import { parseArgs } from 'node:util';
import fc from 'fast-check';
import { c2sProperty, parserProperty, saslProperty } from './targets.ts';

const { values } = parseArgs({ options: { parser: { type: 'string' }, sasl: { type: 'string' }, c2s: { type: 'string' }, seed: { type: 'string' } } });
const seed = values.seed ? Number(values.seed) : Date.now() % 2 ** 31;
const runs = { parser: Number(values.parser ?? 700_000), sasl: Number(values.sasl ?? 200_000), c2s: Number(values.c2s ?? 100_000) };

type Opts = { numRuns: number; seed: number; endOnFailure: boolean };

async function one(name: string, n: number, run: (opts: Opts) => Promise<void> | void): Promise<number> {
  const t0 = performance.now();
  await run({ numRuns: n, seed, endOnFailure: true });
  const s = (performance.now() - t0) / 1000;
  process.stdout.write(`| ${name} | ${n.toLocaleString('en')} | 0 | 0 | ${s.toFixed(0)} s | ${seed} |\n`);
  return n;
}

process.stdout.write('| target | cases | crashes | hangs | time | seed |\n|---|---|---|---|---|---|\n');
let total = 0;
total += await one('XML stream parser + fragments', runs.parser, (o) => fc.assert(parserProperty(), o));
total += await one('SASL (PLAIN, SCRAM-SHA-1/256/512, -PLUS)', runs.sasl, (o) => fc.assert(saslProperty(), o));
total += await one('c2s state machine (negotiation, SASL, bind, stanzas)', runs.c2s, (o) => fc.assert(c2sProperty(), o));
process.stdout.write(`\ntotal: ${total.toLocaleString('en')} cases, 0 failures (node ${process.version})\n`);
