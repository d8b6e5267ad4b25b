// Brute-force timing (docs/benchmarks.md, docs/security.md): an embedded server with the default
// brute-force settings except a 4 s cap (the default is 30 s; the test client waits 5 s at most); one address guesses one account's password ATTEMPTS times (SCRAM-SHA-256,
// a fresh connection each time, as a password-guessing tool does), then the real user logs in
// from another address. Prints how long each answer took.
// Usage: node --import tsx loadtest/bench/brute-force.ts [attempts=10]
import { RawClient } from '../../tests/harness/raw.ts';
import { startTestServer } from '../../tests/harness/server.ts';

const attempts = Number(process.argv[2] ?? 10);
const ts = await startTestServer({ scramIterations: 4096, authDelayCapSec: 4 });
await ts.addUsers(['juliet', 'the-real-password']);

async function attempt(password: string, from: string): Promise<[string, number]> {
  const c = await RawClient.open(ts.ports.c2s, 'localhost', from);
  try {
    await c.startStream();
    await c.starttls();
    const t0 = performance.now();
    const r = await c.authenticate('juliet', password);
    return [r, performance.now() - t0];
  } finally {
    c.close();
  }
}

process.stdout.write('| attempt | from | result | answered after |\n|---|---|---|---|\n');
for (let i = 1; i <= attempts; i++) {
  const [r, ms] = await attempt(`guess-${i}`, '127.0.0.66');
  process.stdout.write(`| ${i} | attacker 127.0.0.66 | ${r} | ${(ms / 1000).toFixed(2)} s |\n`);
}
const [r, ms] = await attempt('the-real-password', '127.0.0.77');
process.stdout.write(`| — | real user 127.0.0.77 | ${r} | ${(ms / 1000).toFixed(2)} s |\n`);
await ts.stop();
