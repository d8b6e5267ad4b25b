// The invisibility observer test (issue 15 items 3 and 9) in cluster mode: Olivia (offline) and Ivy
// (invisible) connect to one edge, the stranger, the blocked user, the contact and the friend to the
// other, with two presence processes, so every probe crosses the bus between edges
// and actors. The probes and the comparison are the embedded test's (tests/harness/observers.ts).
import type { Account } from '../../harness/cast.ts';
import { compareObservers, type Connect, setUp } from '../../harness/observers.ts';
import { XmppJsClient } from '../../harness/xmppjs.ts';
import { DOMAIN, password } from '../harness.ts';
import type { Scenario } from '../shared.ts';

export async function invisibleAcrossEdges({ cluster, user, addUsers }: Scenario): Promise<void> {
  const open: XmppJsClient[] = [];
  try {
    const names = ['olivia', 'ivy', 'stranger', 'blocked', 'contact', 'friend'] as const;
    const jids = await addUsers([...names]);
    const account = (i: number): Account => ({ user: user(names[i]!), jid: jids[i]!, password: password(user(names[i]!)) });
    const people = { olivia: account(0), ivy: account(1), stranger: account(2), blocked: account(3), contact: account(4), friend: account(5) };
    const [targetsEdge, observersEdge] = cluster.edges();
    if (!targetsEdge || !observersEdge) throw new Error('two edges');
    const connect: Connect = async (a, resource) => {
      const edge = a === people.olivia || a === people.ivy ? targetsEdge : observersEdge;
      const c = await XmppJsClient.connect({ service: `xmpp://127.0.0.1:${edge.c2s}`, domain: DOMAIN, username: a.user, password: a.password, resource, fingerprint: edge.fingerprint });
      open.push(c);
      return c;
    };
    await setUp(connect, people);
    await compareObservers(connect, people);
  } finally {
    await Promise.all(open.map((c) => c.stop().catch(() => undefined)));
  }
}
