// A short fuzzing run in `make test` (the long one: tests/fuzz/bench.ts, docs/fuzzing.md).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { createLogger } from '@parley/log';
import { c2sInput, c2sProperty, parserProperty, saslProperty } from './fuzz/targets.ts';
import { RawClient } from './harness/raw.ts';
import { startTestServer } from './harness/server.ts';

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

test('fuzzed streams over real sockets leave a running server serving a logged-in bystander', T, async () => {
  const lines: string[] = [];
  const ts = await startTestServer({ requireTls: false, limitExemptAddresses: '127.0.0.1', log: createLogger({ level: 'warn', pretty: false, write: (l) => lines.push(l) }) });
  try {
    await ts.addUsers(['bystander', 'pw'], ['juliet', 'r0m30']);
    const bystander = await RawClient.login(ts.ports.c2s, 'bystander', 'pw', 'b');
    const cases = fc.sample(c2sInput, { numRuns: 150, seed: 42 });
    for (let i = 0; i < cases.length; i++) {
      const c = await RawClient.open(ts.ports.c2s);
      c.send(cases[i]!.join(''));
      c.close();
      if (i % 25 === 24) await bystander.ping();
    }
    await bystander.ping();
    const fresh = await RawClient.login(ts.ports.c2s, 'juliet', 'r0m30', 'after');
    await fresh.ping();
    fresh.close();
    bystander.close();
    assert.deepEqual(
      lines.filter((l) => l.includes('"level":"error"')),
      [],
      'no internal error was logged',
    );
  } finally {
    await ts.stop();
  }
});
