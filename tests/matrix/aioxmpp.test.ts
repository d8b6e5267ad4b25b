// Client matrix (issue 14): aioxmpp 0.13.3 from Debian (python3-aioxmpp), default settings — stream
// management on, its own choice of SASL mechanism. Before the XEP-0198 §4 fix this login hung: the
// client waits for the <a/> that counts its initial presence.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startTestServer, type TestServer } from '../harness/server.ts';
import { converse, embedded } from './conversation.ts';
import { aioxmppLogin } from './driven-participant.ts';
import { formatRequests } from './requests.ts';

let ts: TestServer;
before(async () => {
  ts = await startTestServer();
});
after(() => ts.stop());

test('aioxmpp with stream management logs in, subscribes both ways, chats and is seen leaving', { timeout: 30_000 }, async (t) => {
  let sm: unknown;
  const r = await converse(
    embedded(ts),
    aioxmppLogin(ts.ports.c2s, (reply) => {
      sm = reply.sm;
    }),
  );
  assert.equal(sm, true, 'aioxmpp enables stream management by default');
  assert.equal(r.mechanism, 'SCRAM-SHA-256');
  t.diagnostic(`requests:\n${formatRequests(r.requests)}`);
});
