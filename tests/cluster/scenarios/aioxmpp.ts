// The client matrix's aioxmpp conversation (tests/matrix) against a cluster over NATS, Redis and
// Postgres. Here every stanza's acceptance takes a bus round trip, so aioxmpp's <r/> after its initial
// presence is answered only after that (XEP-0198 §4).
import assert from 'node:assert/strict';
import { converse } from '../../matrix/conversation.ts';
import { aioxmppLogin } from '../../matrix/driven-participant.ts';
import { DOMAIN, password } from '../harness.ts';
import type { Scenario } from '../shared.ts';

export async function aioxmppConverses({ cluster, user, addUsers }: Scenario): Promise<void> {
  const [edge] = cluster.edges();
  assert.ok(edge);
  let sm: unknown;
  const host = {
    domain: DOMAIN,
    c2s: edge.c2s,
    addAccount: async (name: string) => {
      const [jid] = await addUsers([name]);
      return { user: user(name), password: password(user(name)), jid: jid as string };
    },
  };
  await converse(
    host,
    aioxmppLogin(edge.c2s, (reply) => {
      sm = reply.sm;
    }),
  );
  assert.equal(sm, true, 'aioxmpp enables stream management by default');
}
