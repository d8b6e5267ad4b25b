// Stream deadlines (RFC 6120 §4.6): a connection that does not finish negotiating in time, and an
// established session that stays silent past the idle timeout, are closed with connection-timeout;
// whitespace keepalives count as activity.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { RawClient } from './harness/raw.ts';
import { startTestServer, type TestServer } from './harness/server.ts';

let ts: TestServer;
before(async () => {
  ts = await startTestServer({ negotiationTimeoutSec: 4, idleTimeoutSec: 10 });
  await ts.addUsers(['sleepy', 'pw1'], ['chatty', 'pw2']);
});
after(async () => ts.stop());

// The two deadlines are waited out side by side (they share nothing but the server).
describe('stream deadlines', { concurrency: true }, () => {
  test('a stream that does not finish negotiating in time is closed with connection-timeout', { timeout: 15_000 }, async () => {
    const c = await RawClient.open(ts.ports.c2s);
    await c.startStream();
    const started = Date.now();
    assert.equal(await c.streamError(10_000), 'connection-timeout');
    assert.ok(Date.now() - started >= 3500, 'not before the negotiation deadline');
  });

  test('a silent session is closed after the idle timeout while one sending keepalives stays', { timeout: 30_000 }, async () => {
    const sleepy = await RawClient.login(ts.ports.c2s, 'sleepy', 'pw1', 'zzz');
    const chatty = await RawClient.login(ts.ports.c2s, 'chatty', 'pw2', 'talk');
    const keepalive = setInterval(() => chatty.send(' '), 2000);
    try {
      const started = Date.now();
      assert.equal(await sleepy.streamError(20_000), 'connection-timeout');
      assert.ok(Date.now() - started >= 9000, 'not before the idle timeout');
      await chatty.ping();
    } finally {
      clearInterval(keepalive);
      chatty.close();
    }
  });
});
