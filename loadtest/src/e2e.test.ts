// A short real run of parley-load against the embedded Parley server: every message sent inside
// the measured window must be received, with no error of any kind.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type EmbeddedServer, startEmbedded } from '@parley/cli';
import { DEFAULTS, type LoadConfig } from './run/config.ts';
import { runLoad } from './run/coordinator.ts';

const USERS = 20;

describe('parley-load against the embedded server', () => {
  let server: EmbeddedServer;
  let dataDir: string;

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'parley-load-e2e-'));
    server = await startEmbedded(
      {
        domain: 'load.test',
        dataDir,
        inMemory: true,
        bindAddress: '127.0.0.1',
        c2sPort: 0,
        c2sTlsPort: 0,
        httpPort: 0,
        s2sPolicy: 'off',
        logLevel: 'silent',
        // Loopback WebSocket without TLS is acceptable for this test only.
        websocketSecure: true,
      },
      {},
    );
    for (let i = 1; i <= USERS; i++) await server.addUser(`user${i}`, `pass${i}`);
  });

  after(async () => {
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  function config(over: Partial<LoadConfig>): LoadConfig {
    return {
      ...DEFAULTS,
      scenario: 'chat',
      users: USERS,
      domain: server.domain,
      arrivalRate: 200,
      warmup: 0.5,
      duration: 2,
      drain: 5,
      msgRate: 5,
      timeoutMs: 10_000,
      serverPids: server.pids,
      quiet: true,
      ...over,
    };
  }

  test('a chat run over STARTTLS with SCRAM-SHA-256 delivers every message without error', async () => {
    const r = await runLoad(
      config({
        transport: 'starttls',
        mechanism: 'SCRAM-SHA-256',
        endpoints: [{ host: '127.0.0.1', port: server.ports.c2s, path: '/' }],
      }),
    );
    assert.deepEqual(r.errors, {});
    assert.equal(r.maxOnline, USERS);
    assert.equal(r.authMs.count, USERS);
    // 20 users × 5 msg/s × 2 s offer 200; a loaded machine stalls the generator's loop, so ask for a
    // fair share, not the rate (this is a correctness run; rates are measured in loadtest/bench).
    assert.ok(r.messages.sent >= USERS * 2, `only ${r.messages.sent} messages sent`);
    assert.equal(r.messages.received, r.messages.sent);
    assert.equal(r.messages.lost, 0);
    assert.equal(r.latencyMs.count, r.messages.sent);
    assert.ok(r.server && r.server.cpuSecondsInWindow > 0);
  });

  test('a chat run over WebSocket delivers every message without error', async () => {
    const r = await runLoad(
      config({
        transport: 'ws',
        duration: 1,
        endpoints: [{ host: '127.0.0.1', port: server.ports.http, path: '/xmpp-websocket' }],
      }),
    );
    assert.deepEqual(r.errors, {});
    assert.equal(r.maxOnline, USERS);
    assert.ok(r.messages.sent >= USERS * 2, `only ${r.messages.sent} messages sent`);
    assert.equal(r.messages.received, r.messages.sent);
  });
});
