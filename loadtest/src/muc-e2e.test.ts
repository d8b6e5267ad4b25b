// parley-load's muc scenario against the embedded server's chatrooms (XEP-0045): rooms are created
// and unlocked by their first occupant, and every groupchat message reaches every other occupant.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { type EmbeddedServer, startEmbedded } from '@parley/cli';
import { DEFAULTS } from './run/config.ts';
import { runLoad } from './run/coordinator.ts';

const USERS = 20;
let server: EmbeddedServer;
let dataDir: string;

before(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'parley-load-muc-'));
  server = await startEmbedded(
    { domain: 'load.test', dataDir, inMemory: true, bindAddress: '127.0.0.1', c2sPort: 0, c2sTlsPort: 0, httpPort: 0,
      s2sPolicy: 'off', adminPort: 0, logLevel: 'silent', mucCreators: 'local', mucOccupantRate: 6000 },
    {},
  );
  for (let i = 1; i <= USERS; i++) await server.addUser(`user${i}`, `pass${i}`);
});
after(async () => {
  await server?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

test('a muc run (2 rooms of 10, 2 senders each) delivers every room message to every other occupant', { timeout: 120_000 }, async () => {
  const r = await runLoad({
    ...DEFAULTS,
    scenario: 'muc',
    users: USERS,
    occupants: 10,
    senders: 2,
    joinRate: 40, // paced joins: 18 joins after the two creators, over about half a second
    domain: server.domain,
    mucDomain: `conference.${server.domain}`,
    arrivalRate: 200,
    warmup: 0.5,
    duration: 2,
    drain: 5,
    msgRate: 5,
    timeoutMs: 10_000,
    serverPids: server.pids,
    quiet: true,
    transport: 'starttls',
    mechanism: 'SCRAM-SHA-256',
    endpoints: [{ host: '127.0.0.1', port: server.ports.c2s, path: '/' }],
  });
  assert.deepEqual(r.errors, {});
  assert.ok(r.messages.sent > 20, `only ${r.messages.sent} messages sent`);
  assert.equal(r.messages.lost, 0);
  // Every message of a sender reaches the other 9 occupants of its room.
  assert.equal(r.messages.expected, r.messages.sent * 9);
  assert.equal(r.messages.received, r.messages.expected);
  assert.equal(r.latencyMs.count, r.messages.received);
});
