// Requests Parley once left unanswered. Each test sends what a client may send and expects the
// answer the RFC or XEP prescribes; silence leaves a client waiting. The IQ cases are answered by
// libs/stanza (mayReplyWithError), the presence type by the edge's admission, the XEP-0198 ones by
// the stream-management module.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { xml } from '@parley/xml';
import { NS, RawClient, stanzaErrorCondition } from './harness/raw.ts';
import { startTestServer, type TestServer } from './harness/server.ts';

let ts: TestServer;
const open: RawClient[] = [];
before(async () => {
  ts = await startTestServer();
  await ts.addUsers(['carol', 'carol-pw']);
});
after(async () => {
  for (const c of open) c.close();
  await ts.stop();
});

async function loggedIn(): Promise<RawClient> {
  const c = await RawClient.login(ts.ports.c2s, 'carol', 'carol-pw', `r${open.length}`);
  open.push(c);
  return c;
}

/** Authenticated, stream restarted, no resource bound yet: where XEP-0198 §5 <resume/> belongs. */
async function authenticatedNotBound(): Promise<RawClient> {
  const c = await RawClient.open(ts.ports.c2s);
  open.push(c);
  await c.startStream();
  await c.starttls();
  assert.equal(await c.authenticate('carol', 'carol-pw'), 'success');
  return c;
}

/** Sends `text` on a fresh session and expects an error reply of the same kind: bad-request, type modify. */
async function answeredWithBadRequest(kind: 'iq' | 'presence', text: string, id: string): Promise<void> {
  const c = await loggedIn();
  c.send(text);
  const reply = await c.next((e) => e.is(kind) && e.attr('id') === id, `the answer to ${text}`);
  assert.equal(reply.attr('type'), 'error', reply.toString());
  assert.equal(stanzaErrorCondition(reply), 'bad-request');
  assert.equal(reply.getChild('error')?.attr('type'), 'modify');
}

const smFailure = (c: RawClient, what: string) => c.next((e) => e.is('failed', NS.sm), what);
const smCondition = (failed: { getChildElements(): Array<{ name: string }> }) => failed.getChildElements()[0]?.name;

describe('stanzas with a missing or unknown type', () => {
  // RFC 6120 §8.2.3: type is REQUIRED on an IQ, and is get, set, result or error; §8.3.3.1: a stanza
  // that does not conform to the schema is bad-request, type modify. The edge builds that answer;
  // mayReplyWithError() used to suppress it for an IQ that is neither get nor set.
  test('an IQ without a type is answered with bad-request', async () => {
    await answeredWithBadRequest('iq', `<iq id='no-type'><ping xmlns='${NS.ping}'/></iq>`, 'no-type');
  });

  test('an IQ with an unknown type is answered with bad-request', async () => {
    await answeredWithBadRequest('iq', `<iq id='odd-type' type='fetch'><ping xmlns='${NS.ping}'/></iq>`, 'odd-type');
  });

  // RFC 6121 §4.7.1 lists the presence types; RFC 6120 §8.3.3.1: anything else is bad-request.
  test('a presence with an unknown type is answered with bad-request', async () => {
    await answeredWithBadRequest('presence', `<presence id='odd-presence' type='online'/>`, 'odd-presence');
  });
});

describe('stream management requests Parley refuses', () => {
  // XEP-0198 §5: resuming a stream the server does not know fails with <item-not-found/>.
  test('a resume request before binding for an unknown stream is refused with item-not-found', async () => {
    const c = await authenticatedNotBound();
    c.send(xml('resume', { xmlns: NS.sm, h: '0', previd: 'earlier-session' }));
    assert.equal(smCondition(await smFailure(c, 'the answer to <resume/>')), 'item-not-found');
  });

  // XEP-0198 §5: <resume/> replaces binding; in an established session it is unexpected.
  test('a resume request in an established session with stream management on is refused, not ignored', async () => {
    const c = await loggedIn();
    c.send(xml('enable', { xmlns: NS.sm }));
    await c.next((e) => e.is('enabled', NS.sm), 'stream management enabled');
    c.send(xml('resume', { xmlns: NS.sm, h: '0', previd: 'earlier-session' }));
    assert.equal(smCondition(await smFailure(c, 'the answer to <resume/>')), 'unexpected-request');
  });

  // RFC 6120 §4.9.3.23: a first-level element the server does not support is an
  // unsupported-stanza-type stream error: an unknown element in the XEP-0198 namespace, or one
  // only a server sends (<enabled/>, <failed/>), once stream management is on.
  for (const name of ['unknown', 'enabled', 'failed']) {
    test(`a client's <${name}/> in the stream management namespace closes the stream with unsupported-stanza-type`, async () => {
      const c = await loggedIn();
      c.send(xml('enable', { xmlns: NS.sm }));
      await c.next((e) => e.is('enabled', NS.sm), 'stream management enabled');
      c.send(xml(name, { xmlns: NS.sm }));
      assert.equal(await c.streamError(), 'unsupported-stanza-type');
    });
  }
});
