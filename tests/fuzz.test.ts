// A short fuzzing run in `make test` (the long one: tests/fuzz/bench.ts, docs/fuzzing.md).
import { test } from 'node:test';
import fc from 'fast-check';
import { c2sProperty, parserProperty, saslProperty } from './fuzz/targets.ts';

const T = { timeout: 120_000 };

test('the XML stream parser reports every malformed input through onError and never throws or hangs', T, () => {
  fc.assert(parserProperty(), { numRuns: 3000 });
});

test('random SASL exchanges end in a challenge or a failure, never a crash or a success', T, async () => {
  await fc.assert(saslProperty(), { numRuns: 300 });
});

test('random element sequences through the c2s state machine never crash it or answer internal-server-error', T, async () => {
  await fc.assert(c2sProperty(), { numRuns: 300 });
});
