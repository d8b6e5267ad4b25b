// The client matrix's aioxmpp conversation (tests/matrix) against a cluster: one edge, one session
// and one presence process over NATS, Redis and Postgres. Here every stanza's acceptance takes a bus
// round trip, so aioxmpp's <r/> after its initial presence is answered only after that (XEP-0198 §4).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { converse } from '../matrix/conversation.ts';
import { aioxmppLogin } from '../matrix/driven-participant.ts';
import { DOMAIN, password, TestCluster } from './harness.ts';

test('aioxmpp with stream management converses through a cluster', { timeout: 120_000 }, async () => {
  const cluster = await TestCluster.start({ edges: 1, sessions: 1, presences: 1, label: 'aioxmpp' });
  try {
    const [edge] = cluster.edges();
    assert.ok(edge);
    let sm: unknown;
    const host = {
      domain: DOMAIN,
      c2s: edge.c2s,
      addAccount: async (user: string) => {
        const [jid] = await cluster.addUsers([user]);
        return { user, password: password(user), jid: jid as string };
      },
    };
    await converse(
      host,
      aioxmppLogin(edge.c2s, (reply) => {
        sm = reply.sm;
      }),
    );
    assert.equal(sm, true, 'aioxmpp enables stream management by default');
  } finally {
    await cluster.stop();
  }
});
