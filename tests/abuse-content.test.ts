// Dangerous content (issue 9 item 5): every payload of the corpus (tests/abuse-corpus) goes through
// a running server to xmpp.js, live and from offline storage; what arrives passes the safety checks,
// over-long bodies are refused with policy-violation, and the server keeps serving. Also the
// offline-messages-per-sender limit (resource-constraint, type wait).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { loadContentCorpus, safetyProblems } from './harness/content-safety.ts';
import { RawClient, stanzaErrorCondition } from './harness/raw.ts';
import { startTestServer, type TestServer } from './harness/server.ts';
import { XmppJsClient, xml } from './harness/xmppjs.ts';

const T = { timeout: 60_000 };
let ts: TestServer;
let mallory: RawClient;
const clients: XmppJsClient[] = [];

before(async () => {
  ts = await startTestServer({ limitOfflinePerSender: 3, limitStanzasPerSec: 1000, limitAccountStanzasPerSec: 1000 });
  await ts.addUsers(['mallory', 'pw'], ['bob', 'pw'], ['carol', 'pw'], ['dave', 'pw']);
  mallory = await RawClient.login(ts.ports.c2s, 'mallory', 'pw', 'm');
});
after(async () => {
  mallory?.close();
  for (const c of clients) await c.stop();
  await ts.stop();
});

const connect = async (username: string) => {
  const c = await XmppJsClient.connect({ service: `xmpp://127.0.0.1:${ts.ports.c2s}`, domain: ts.domain, username, password: 'pw', fingerprint: ts.server.fingerprint });
  clients.push(c);
  return c;
};

const send = (to: string, id: string, payload: string) => mallory.send(`<message to='${to}' id='${id}' type='chat'>${payload}</message>`);

test('every corpus payload reaches an online xmpp.js client filtered, or is refused', T, async () => {
  const bob = await connect('bob');
  await bob.send(xml('presence'));
  await bob.ping();
  for (const entry of loadContentCorpus()) {
    const id = `live-${entry.name}`;
    send('bob@localhost', id, entry.payload);
    if (entry.refused) {
      const err = await mallory.next((e) => e.is('message') && e.attr('id') === id, `the refusal of ${entry.name}`);
      assert.equal(stanzaErrorCondition(err), 'policy-violation', entry.name);
      continue;
    }
    const got = await bob.next((e) => e.is('message') && e.attrs.id === id, entry.name);
    assert.deepEqual(safetyProblems(got.toString()), [], entry.name);
    // The safe subset itself arrives intact.
    if (entry.name === 'xhtml-safe') assert.match(got.toString(), /<em>you<\/em>.*href="https:\/\/example\.org\/"/);
  }
  await mallory.ping();
});

test('offline storage keeps the filtered version, delivered at the next login', T, async () => {
  const unsafe = loadContentCorpus().filter((e) => !e.refused && ['rlo-filename-spoof', 'xhtml-script', 'zalgo'].includes(e.name));
  for (const entry of unsafe) send('carol@localhost', `off-${entry.name}`, entry.payload);
  await mallory.ping();
  const carol = await connect('carol');
  await carol.send(xml('presence'));
  for (const entry of unsafe) {
    const got = await carol.next((e) => e.is('message') && e.attrs.id === `off-${entry.name}`, `offline ${entry.name}`);
    assert.deepEqual(safetyProblems(got.toString()), [], entry.name);
  }
});

test('one sender may leave only so many offline messages for an account: then resource-constraint (wait)', T, async () => {
  for (let i = 0; i < 3; i++) send('dave@localhost', `d${i}`, '<body>are you there?</body>');
  send('dave@localhost', 'd3', '<body>hello??</body>');
  const err = await mallory.next((e) => e.is('message') && e.attr('id') === 'd3', 'the refused fourth message');
  assert.equal(stanzaErrorCondition(err), 'resource-constraint');
  assert.equal(err.getChild('error')?.attr('type'), 'wait');
  const text = await (await fetch(`http://127.0.0.1:${ts.ports.http}/metrics`)).text();
  assert.match(text, /^parley_offline_refused_total 1$/m);
  // The first three were kept.
  const dave = await connect('dave');
  await dave.send(xml('presence'));
  for (let i = 0; i < 3; i++) await dave.next((e) => e.is('message') && e.attrs.id === `d${i}`, `offline message d${i}`);
});
