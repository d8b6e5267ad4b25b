// Client matrix (issue 14): slixmpp 1.8.3 from Debian (python3-slixmpp), default settings apart from
// the one workaround for its own channel-binding bug (docs/decisions/0004: it offers tls-unique on
// TLS 1.3, then signals a downgrade with the GS2 "y" flag; Parley rightly refuses that).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startTestServer, type TestServer } from '../harness/server.ts';
import { SlixClient } from '../harness/slix.ts';
import { converse, embedded } from './conversation.ts';
import { drivenParticipant } from './driven-participant.ts';
import { formatRequests } from './requests.ts';

let ts: TestServer;
before(async () => {
  ts = await startTestServer();
});
after(() => ts.stop());

test('slixmpp logs in with its own mechanism choice, subscribes both ways, chats and is seen leaving', { timeout: 30_000 }, async (t) => {
  const r = await converse(embedded(ts), async (a) =>
    drivenParticipant(await SlixClient.connect({ jid: `${a.jid}/slixmpp`, password: a.password, port: ts.ports.c2s })),
  );
  assert.equal(r.mechanism, 'SCRAM-SHA-512');
  t.diagnostic(`requests:\n${formatRequests(r.requests)}`);
});
