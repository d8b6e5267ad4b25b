// The one conversation every client in the matrix goes through (issue 14), so that each is checked
// the same way. Alice is the client under test, with its default settings; Bob is the raw test
// client (tests/harness/raw.ts), so every stanza Alice's client puts on the wire is checked exactly.
import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { xml } from '@parley/xml';
import type { Traffic } from '../harness/driven.ts';
import { RawClient } from '../harness/raw.ts';
import type { TestServer } from '../harness/server.ts';
import { formatRequests, type Request, requestLog } from './requests.ts';

/** A client under test, logged in over STARTTLS (or WebSocket) with its initial presence sent. */
export interface ClientUnderTest {
  /** The full JID the server bound. */
  readonly jid: string;
  /** The SASL mechanism the client chose. */
  readonly mechanism: string;
  /** RFC 6121 §3.1.1: ask `to` (a bare JID) for a presence subscription. */
  subscribe(to: string): Promise<void>;
  /** RFC 6121 §3.1.4: approve the subscription request of `to`. */
  approve(to: string): Promise<void>;
  /** Resolves once a subscription request from the bare JID `from` reached the client. */
  subscriptionRequest(from: string): Promise<void>;
  /** Resolves once available presence from the full JID `from` reached the client. */
  available(from: string): Promise<void>;
  sendMessage(to: string, body: string): Promise<void>;
  /** Resolves with the body of the next chat message from the full JID `from`. */
  messageFrom(from: string): Promise<string>;
  /** Everything the client sent and received so far, as its own log has it. */
  traffic(): Promise<Traffic>;
  /** Ends the session the client's normal way. */
  disconnect(): Promise<void>;
  /** Releases processes and sockets (after disconnect, or on failure). */
  stop(): Promise<void>;
}

export interface Account {
  user: string;
  password: string;
  /** Bare JID. */
  jid: string;
}

export interface ConversationResult {
  mechanism: string;
  /** What the client asked the server for on its own, and the answers (all answered). */
  requests: Request[];
}

/** Where the conversation takes place: an embedded server, or one edge of a cluster. */
export interface ConversationHost {
  domain: string;
  /** The c2s (STARTTLS) port the peer connects to. */
  c2s: number;
  /** Creates an account named `user`. */
  addAccount(user: string): Promise<Account>;
}

/** The embedded test server of a matrix file. */
export function embedded(ts: TestServer): ConversationHost {
  return {
    domain: ts.domain,
    c2s: ts.ports.c2s,
    addAccount: async (user) => {
      const password = `${user}-secret`;
      await ts.addUsers([user, password]);
      return { user, password, jid: `${user}@${ts.domain}` };
    },
  };
}

let accounts = 0;
const account = (host: ConversationHost, prefix: string) => host.addAccount(`${prefix}${++accounts}`);

const isPresence = (from: string, type?: string) => (e: { name: string; attr(n: string): string | undefined }) =>
  e.name === 'presence' && e.attr('from') === from && e.attr('type') === type;

/**
 * Login, subscriptions both ways, presence, a message each way, the roster on both sides, and the
 * client's disconnect seen by its contact as unavailable presence.
 */
export async function converse(host: ConversationHost, login: (a: Account) => Promise<ClientUnderTest>): Promise<ConversationResult> {
  const a = await account(host, 'alice');
  const b = await account(host, 'bob');
  const bob = await RawClient.login(host.c2s, b.user, b.password, 'peer', host.domain);
  let alice: ClientUnderTest | undefined;
  try {
    bob.send(xml('presence'));
    await bob.ping();
    alice = await login(a);
    assert.ok(alice.jid.startsWith(`${a.jid}/`), `bound ${alice.jid}`);

    // Alice subscribes to Bob; Bob approves and his current presence reaches her (RFC 6121 §3.1.5).
    await alice.subscribe(b.jid);
    await bob.next((e) => e.name === 'presence' && e.attr('type') === 'subscribe' && e.attr('from') === a.jid, "alice's subscription request");
    bob.send(xml('presence', { to: a.jid, type: 'subscribed' }));
    await alice.available(bob.jid);

    // Bob subscribes to Alice; her client approves and her presence reaches him.
    bob.send(xml('presence', { to: a.jid, type: 'subscribe' }));
    await alice.subscriptionRequest(b.jid);
    await alice.approve(b.jid);
    await bob.next(isPresence(alice.jid), "alice's available presence");
    const roster = await bob.rosterGet();
    const item = roster.getChild('query')?.getChildren('item').find((i) => i.attr('jid') === a.jid);
    assert.equal(item?.attr('subscription'), 'both', roster.toString());

    // A message each way, to the bare JID as a user would address them.
    await alice.sendMessage(b.jid, 'hello bob');
    // Chat states (XEP-0085) may come first; the message is the one with a body.
    const m = await bob.next((e) => e.name === 'message' && e.attr('from') === alice?.jid && e.getChild('body') !== undefined, "alice's message");
    assert.equal(m.getChildText('body'), 'hello bob');
    assert.equal(m.attr('type'), 'chat');
    bob.send(xml('message', { to: a.jid, type: 'chat', id: 'from-bob' }, xml('body', null, 'hello alice')));
    assert.equal(await alice.messageFrom(bob.jid), 'hello alice');

    const requests = await everyRequestAnswered(alice);
    await alice.disconnect();
    await bob.next(isPresence(alice.jid, 'unavailable'), "alice's unavailable presence after her client disconnected");
    return { mechanism: alice.mechanism, requests };
  } finally {
    bob.close();
    await alice?.stop();
  }
}

/**
 * RFC 6120 §8.2.3: every IQ get/set gets a result or an error. The replies may still be on their way
 * (they come from different actors), so this waits for them, up to a deadline, and fails on the
 * ones that never come.
 */
async function everyRequestAnswered(client: ClientUnderTest, timeoutMs = 3000): Promise<Request[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const requests = requestLog(await client.traffic());
    const silent = requests.filter((r) => r.answer === 'unanswered');
    if (silent.length === 0) return requests;
    if (Date.now() > deadline) assert.fail(`the server never answered:\n${formatRequests(silent)}`);
    await delay(50);
  }
}
