// What real clients ask for at login that Parley does not offer yet (docs/clients.md): each request
// gets the error RFC 6120 §8.4 prescribes — service-unavailable, type cancel (§8.3.3.19) — never
// silence, whatever it is addressed to. A client waiting for an answer would otherwise hang.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type Element, parseFragment } from '@parley/xml';
import { RawClient, stanzaErrorCondition } from './harness/raw.ts';
import { startTestServer, type TestServer } from './harness/server.ts';

let ts: TestServer;
let alice: RawClient;
before(async () => {
  ts = await startTestServer();
  await ts.addUsers(['alice', 'alice-pw'], ['bob', 'bob-pw']);
  alice = await RawClient.login(ts.ports.c2s, 'alice', 'alice-pw', 'web');
});
after(async () => {
  alice.close();
  await ts.stop();
});

/** Requests nothing serves (PEP, vCard, private XML, the archive are served now: tests/pep*.test.ts, tests/profile.test.ts, tests/mam.test.ts). */
const requests: Array<[what: string, iq: string]> = [
  ['an unknown payload to the server', `<iq type='get' to='localhost'><unknown xmlns='urn:example:unknown'/></iq>`],
  ['an unknown payload to the own bare JID', `<iq type='set' to='alice@localhost'><unknown xmlns='urn:example:unknown'/></iq>`],
  ['an unknown payload to a contact', `<iq type='get' to='bob@localhost'><unknown xmlns='urn:example:unknown'/></iq>`],
];

for (const [what, text] of requests) {
  test(`${what} is answered with service-unavailable`, async () => {
    const reply: Element = await alice.iq(parseFragment(text), `the answer to ${what}`);
    assert.equal(reply.attr('type'), 'error', reply.toString());
    assert.equal(stanzaErrorCondition(reply), 'service-unavailable', reply.toString());
    assert.equal(reply.getChild('error')?.attr('type'), 'cancel', reply.toString());
  });
}
