// No secret in the logs (issue 9 item 8): after a run of logins and failures (SCRAM and PLAIN,
// right and wrong passwords, slowed and locked attempts) and an admin token created through the
// admin socket, no log line at debug level holds a password, a SCRAM proof or client-final
// message, a PLAIN message, or the token, in clear or base64.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createLogger } from '@parley/log';
import { xml } from '@parley/xml';
import { callAdminSocket, startAdminSocket } from '../services/cli/src/admin-socket.ts';
import { NS, RawClient } from './harness/raw.ts';
import { ScramClient } from './harness/scram.ts';
import { startTestServer, type TestServer } from './harness/server.ts';

const T = { timeout: 90_000 };
const lines: string[] = [];
const secrets: string[] = [];
let ts: TestServer;

const PASSWORD = 'correct-horse-battery';
const WRONG = ['Tr0ub4dor&3', 'hunter2hunter2', 'wrong-password-1', 'wrong-password-2'];

before(async () => {
  ts = await startTestServer({ log: createLogger({ level: 'debug', pretty: false, write: (l) => lines.push(l) }), logLevel: 'debug', authFailuresBeforeDelay: 2, authDelayCapSec: 1, authLockAfter: 4 });
  await ts.addUsers(['juliet', PASSWORD], ['tybalt', PASSWORD]);
  secrets.push(PASSWORD, ...WRONG);
});
after(() => ts.stop());

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

/** A SCRAM-SHA-256 exchange by hand, keeping the client-final message (with its proof) as a secret. */
async function scram(user: string, password: string, from = '127.0.0.1'): Promise<string> {
  const c = await RawClient.open(ts.ports.c2s, 'localhost', from);
  try {
    await c.startStream();
    await c.starttls();
    const client = new ScramClient('sha256', user, password);
    c.send(xml('auth', { xmlns: NS.sasl, mechanism: client.mechanism }, b64(client.clientFirst())));
    const challenge = await c.next((e) => e.getNS() === NS.sasl, 'challenge');
    if (challenge.name === 'failure') return 'failure';
    const final = client.clientFinal(Buffer.from(challenge.text(), 'base64').toString('utf8'));
    secrets.push(final, b64(final), final.slice(final.indexOf(',p=') + 3));
    c.send(xml('response', { xmlns: NS.sasl }, b64(final)));
    return (await c.next((e) => e.getNS() === NS.sasl && (e.name === 'success' || e.name === 'failure'), 'outcome')).name;
  } finally {
    c.close();
  }
}

async function plain(user: string, password: string, from = '127.0.0.1'): Promise<string> {
  const c = await RawClient.open(ts.ports.c2s, 'localhost', from);
  try {
    await c.startStream();
    await c.starttls();
    const message = `\0${user}\0${password}`;
    secrets.push(b64(message));
    c.send(xml('auth', { xmlns: NS.sasl, mechanism: 'PLAIN' }, b64(message)));
    return (await c.next((e) => e.getNS() === NS.sasl && (e.name === 'success' || e.name === 'failure'), 'outcome')).name;
  } finally {
    c.close();
  }
}

test('no log line holds a password, SCRAM proof, PLAIN message or admin token after logins and failures', T, async () => {
  assert.equal(await scram('juliet', PASSWORD), 'success');
  assert.equal(await plain('juliet', PASSWORD), 'success');
  for (const w of WRONG) assert.equal(await scram('juliet', w, '127.0.0.9'), 'failure');
  for (const w of WRONG) assert.equal(await plain('tybalt', w, '127.0.0.10'), 'failure');
  assert.equal(await plain('nobody', WRONG[0]!, '127.0.0.11'), 'failure');
  // tybalt is locked now: the right password fails too, and that is logged.
  assert.equal(await plain('tybalt', PASSWORD, '127.0.0.12'), 'failure');
  // An admin token made through the admin socket (the CLI's path to a running server).
  const dataDir = mkdtempSync(join(tmpdir(), 'parley-logsecrets-'));
  const log = createLogger({ level: 'debug', pretty: false, write: (l) => lines.push(l) });
  const socket = await startAdminSocket({ config: { ...ts.server.config, dataDir }, store: ts.server.store, log });
  try {
    const made = await callAdminSocket(dataDir, 'POST', '/admin-tokens', { role: 'admin', name: 'log test' });
    secrets.push(String(made.token));
  } finally {
    await socket.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
  // The run was logged (so an empty log cannot pass this test) ...
  assert.ok(lines.some((l) => l.includes('authentication failed')), 'failures are logged');
  assert.ok(lines.some((l) => l.includes('account locked')), 'the lock is logged');
  assert.ok(lines.some((l) => l.includes('login attempt slowed')), 'the delays are logged');
  // ... and no line holds a secret.
  for (const s of secrets) {
    const leaking = lines.filter((l) => l.includes(s));
    assert.deepEqual(leaking, [], `a log line contains a secret (${s.slice(0, 6)}…)`);
  }
});
