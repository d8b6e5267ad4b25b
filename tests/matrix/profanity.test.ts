// Client matrix (issue 14): profanity 0.13.1 from Debian, the terminal client, typed into through
// tmux with its default settings (SCRAM of its own choice, stream management on, STARTTLS required);
// its account trusts the embedded server's self-signed certificate, as `/tls allow` would.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Profanity } from '../harness/profanity.ts';
import { startTestServer, type TestServer } from '../harness/server.ts';
import { type Account, type ClientUnderTest, converse, embedded } from './conversation.ts';
import { formatRequests } from './requests.ts';

let ts: TestServer;
before(async () => {
  ts = await startTestServer();
});
after(() => ts.stop());

/** An attribute of a logged element (profanity logs with double quotes). */
const attr = (xml: string, name: string) => new RegExp(`^<[^>]*\\s${name}="([^"]*)"`).exec(xml)?.[1];
const isFrom = (xml: string, tag: string, from: string) => xml.startsWith(`<${tag} `) && attr(xml, 'from') === from;

async function profanity(a: Account): Promise<ClientUnderTest> {
  const p = await Profanity.start({ jid: a.jid, password: a.password, port: ts.ports.c2s });
  try {
    const bound = await p.waitFor('received', (x) => x.includes('<jid>'), 'the bound JID', 10_000);
    const jid = /<jid>([^<]+)<\/jid>/.exec(bound)?.[1] ?? '';
    // Profanity sends its initial presence by itself once logged in.
    await p.waitFor('sent', (x) => x.startsWith('<presence') && attr(x, 'to') === undefined, 'initial presence');
    const auth = p.traffic().sent.find((x) => x.startsWith('<auth '));
    return {
      jid,
      mechanism: auth ? (attr(auth, 'mechanism') ?? '') : '',
      subscribe: (to) => p.type(`/sub request ${to}`),
      approve: (to) => p.type(`/sub allow ${to}`),
      subscriptionRequest: async (from) =>
        void (await p.waitFor('received', (x) => isFrom(x, 'presence', from) && attr(x, 'type') === 'subscribe', `a subscription request from ${from}`)),
      available: async (from) => void (await p.waitFor('received', (x) => isFrom(x, 'presence', from) && attr(x, 'type') === undefined, `available presence from ${from}`)),
      sendMessage: (to, body) => p.type(`/msg ${to} ${body}`),
      messageFrom: async (from) => {
        const m = await p.waitFor('received', (x) => isFrom(x, 'message', from) && x.includes('<body>'), `a message from ${from}`);
        return /<body>([^<]*)<\/body>/.exec(m)?.[1] ?? '';
      },
      traffic: async () => p.traffic(),
      disconnect: async () => {
        await p.type('/quit');
        await p.waitFor('sent', (x) => x === '</stream:stream>', 'the end of the stream');
      },
      stop: () => p.stop(),
    };
  } catch (err) {
    await p.stop();
    throw err;
  }
}

test('profanity logs in over STARTTLS, subscribes both ways, chats and is seen leaving', { timeout: 30_000 }, async (t) => {
  const r = await converse(embedded(ts), profanity);
  assert.equal(r.mechanism, 'SCRAM-SHA-512');
  t.diagnostic(`requests:\n${formatRequests(r.requests)}`);
});
