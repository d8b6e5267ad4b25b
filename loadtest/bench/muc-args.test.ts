// loadtest/bench/muc.sh checks its arguments before starting any server: unknown servers and bad
// sizes exit 2 with a message, DRY_RUN=1 prints the plan and starts nothing. (The benchmark itself is
// not part of `make test`.)
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';

const script = fileURLToPath(new URL('./muc.sh', import.meta.url));
const run = (args: string[], env: Record<string, string> = {}) =>
  spawnSync('bash', [script, ...args], { env: { ...process.env, DRY_RUN: '1', ...env }, encoding: 'utf8' });

test('muc.sh refuses an unknown server and more senders than occupants with exit code 2', () => {
  const bogus = run(['parley', 'openfire']);
  assert.equal(bogus.status, 2);
  assert.match(bogus.stderr, /unknown server 'openfire'/);
  const senders = run([], { OCCUPANTS: '10', SENDERS: '11' });
  assert.equal(senders.status, 2);
  assert.match(senders.stderr, /SENDERS must be 1\.\.OCCUPANTS/);
});

test('muc.sh with DRY_RUN=1 prints the plan (default servers: parley, ejabberd, prosody) and starts nothing', () => {
  const r = run([], { OCCUPANTS: '500', SENDERS: '10', RATE: '0.5', OUT: '/nonexistent/muc' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /servers parley ejabberd prosody; one room of 500 occupants, 10 senders at 0\.5 msg\/s/);
  const help = run(['--help']);
  assert.equal(help.status, 0);
  assert.match(help.stdout, /Usage: loadtest\/bench\/muc\.sh/);
});
