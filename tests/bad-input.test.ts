// Untrusted input stops at the edge (ARCHITECTURE.md, Security model): every rejection is a precise
// stream or SASL error, the offending connection is closed where the RFC says so, and a bystander
// connected to the same server keeps working (a ping round trip after each attack).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { xml } from '@parley/xml';
import { flush } from './harness/flush.ts';
import { NS, RawClient, streamHeader } from './harness/raw.ts';
import { startTestServer, type TestServer } from './harness/server.ts';

const T = { timeout: 20_000 };
const MAX_STANZA_BYTES = 262144; // the default limit (PARLEY_MAX_STANZA_BYTES)

let ts: TestServer;
let bystander: RawClient;
let victim: RawClient;
let victimJid = '';
const open: RawClient[] = [];

before(async () => {
  // The stanza size limit is tested here, not the content filter's body limit (docs/security.md).
  ts = await startTestServer({ contentMaxBodyChars: 1_000_000 });
  await ts.addUsers(['bystander', 'by-pw'], ['victim', 'victim-pw'], ['mallory', 'mallory-pw']);
  bystander = await RawClient.login(ts.ports.c2s, 'bystander', 'by-pw', 'watch');
  victim = await RawClient.login(ts.ports.c2s, 'victim', 'victim-pw', 'home');
  victimJid = victim.jid;
  victim.send(xml('presence'));
  await flush(victim);
});

after(async () => {
  for (const c of [...open, bystander, victim]) c?.close();
  await ts.stop();
});

async function connect(): Promise<RawClient> {
  const c = await RawClient.open(ts.ports.c2s);
  open.push(c);
  return c;
}

/** A connection that has negotiated STARTTLS but not authenticated. */
async function afterTls(): Promise<RawClient> {
  const c = await connect();
  await c.startStream();
  await c.starttls();
  return c;
}

async function loggedIn(user = 'mallory', password = 'mallory-pw'): Promise<RawClient> {
  const c = await RawClient.login(ts.ports.c2s, user, password, `r${open.length}`);
  open.push(c);
  return c;
}

/** The bystander's session still works: its ping is answered. */
async function bystanderStillServed(): Promise<void> {
  await flush(bystander);
  assert.equal(bystander.inbox.isClosed, false);
}

describe('restricted XML (RFC 6120 §11.1)', () => {
  const cases: Array<[string, string]> = [
    ['a comment', '<!-- hello -->'],
    ['a processing instruction', "<?evil payload='1'?>"],
    ['an undeclared entity reference', `<message to='${'victim@localhost'}' type='chat'><body>&xxe;</body></message>`],
    ['an internal DTD subset', "<!DOCTYPE message [<!ENTITY xxe 'boom'>]>"],
  ];
  for (const [what, bytes] of cases) {
    test(`rejects ${what} in an authenticated stream with restricted-xml and closes`, T, async () => {
      const c = await loggedIn();
      c.send(bytes);
      assert.equal(await c.streamError(), 'restricted-xml');
      await bystanderStillServed();
    });
  }

  test('rejects a DOCTYPE before the stream header with restricted-xml and closes', T, async () => {
    const c = await connect();
    c.send(`<?xml version='1.0'?><!DOCTYPE stream:stream SYSTEM 'http://attacker.example/x.dtd'>`);
    assert.equal(await c.streamError(), 'restricted-xml');
    await bystanderStillServed();
  });

  test('delivers nothing from a rejected stanza', T, async () => {
    const c = await loggedIn();
    c.send(`<message to='${victimJid}' type='chat'><body>before the entity &xxe; after</body></message>`);
    assert.equal(await c.streamError(), 'restricted-xml');
    await flush(victim);
    assert.deepEqual(victim.inbox.take((e) => e.is('message')).map(String), []);
  });
});

describe('limits', () => {
  test('rejects a stanza over the size limit with policy-violation', T, async () => {
    const c = await loggedIn();
    const head = `<message to='${victimJid}' type='chat'><body>`;
    // Just past the limit and left open, so the server has read every byte when it gives up.
    c.send(head + 'a'.repeat(MAX_STANZA_BYTES - head.length + 64));
    assert.equal(await c.streamError(), 'policy-violation');
    await flush(victim);
    assert.deepEqual(victim.inbox.take((e) => e.is('message')).map(String), []);
    await bystanderStillServed();
  });

  test('accepts a stanza just under the size limit', T, async () => {
    const c = await loggedIn();
    const body = 'b'.repeat(MAX_STANZA_BYTES - 1024);
    c.send(xml('message', { to: victimJid, type: 'chat', id: 'big' }, xml('body', null, body)));
    const got = await victim.next((e) => e.is('message') && e.attr('id') === 'big', 'the large message');
    assert.equal(got.getChildText('body')?.length, body.length);
    await flush(c);
  });
});

describe('encoding', () => {
  test('rejects invalid UTF-8 with unsupported-encoding and closes', T, async () => {
    const c = await loggedIn();
    c.send(Buffer.concat([Buffer.from(`<message to='${victimJid}' type='chat'><body>`), Buffer.from([0xc3, 0x28, 0xff, 0xfe]), Buffer.from('</body></message>')]));
    // RFC 6120 §11.6: data that is not UTF-8 is unsupported-encoding.
    assert.equal(await c.streamError(), 'unsupported-encoding');
    await flush(victim);
    assert.deepEqual(victim.inbox.take((e) => e.is('message')).map(String), []);
    await bystanderStillServed();
  });
});

describe('authentication', () => {
  test('rejects a stanza sent after STARTTLS but before SASL with not-authorized and closes', T, async () => {
    const c = await afterTls();
    c.send(`<message to='${victimJid}' type='chat'><body>let me in</body></message>`);
    assert.equal(await c.streamError(), 'not-authorized');
    await flush(victim);
    assert.deepEqual(victim.inbox.take((e) => e.is('message')).map(String), []);
    await bystanderStillServed();
  });

  test('answers a wrong password and an unknown user with the same not-authorized failure', T, async () => {
    const wrong = await afterTls();
    assert.equal(await wrong.authenticate('victim', 'not-the-password'), 'not-authorized');
    const unknown = await afterTls();
    assert.equal(await unknown.authenticate('nobody-here', 'whatever'), 'not-authorized');
    assert.equal(String(unknown.saslFailure), String(wrong.saslFailure));
    // RFC 5802 §9 / RFC 7677: an unknown user must not be told apart by the challenge either.
    const iterations = (sf: string) => /(?:^|,)i=(\d+)/.exec(sf)?.[1];
    assert.equal(iterations(unknown.serverFirst), iterations(wrong.serverFirst));
    await bystanderStillServed();
  });

  test('refuses SASL before STARTTLS with encryption-required and keeps the stream', T, async () => {
    const c = await connect();
    const features = await c.startStream();
    assert.ok(features.getChild('starttls', NS.tls)?.getChild('required'), 'STARTTLS is required');
    assert.equal(features.getChild('mechanisms', NS.sasl), undefined, 'no mechanisms before TLS');
    c.send(xml('auth', { xmlns: NS.sasl, mechanism: 'PLAIN' }, Buffer.from('\0victim\0victim-pw').toString('base64')));
    const failure = await c.next((e) => e.is('failure', NS.sasl), 'the SASL failure');
    assert.deepEqual(
      failure.getChildElements().map((e) => e.name),
      ['encryption-required'],
    );
    await c.starttls();
    assert.equal(await c.authenticate('victim', 'victim-pw'), 'success');
    await bystanderStillServed();
  });
});

describe('addresses and headers', () => {
  test('closes a stream that spoofs another user in from with invalid-from, delivering nothing', T, async () => {
    const c = await loggedIn();
    c.send(`<message from='${bystander.jid}' to='${victimJid}' type='chat' id='spoof'><body>trust me</body></message>`);
    assert.equal(await c.streamError(), 'invalid-from');
    await flush(victim);
    assert.deepEqual(victim.inbox.take((e) => e.is('message')).map(String), []);
    await bystanderStillServed();
  });

  test('rejects a stream header in the wrong namespace with invalid-namespace', T, async () => {
    const c = await connect();
    c.send(streamHeader({ to: ts.domain, streamNs: 'http://example.com/not-streams' }));
    assert.equal(await c.streamError(), 'invalid-namespace');
    await bystanderStillServed();
  });

  test('rejects a stream header with the wrong content namespace with invalid-namespace', T, async () => {
    const c = await connect();
    c.send(streamHeader({ to: ts.domain, xmlns: 'jabber:server' }));
    assert.equal(await c.streamError(), 'invalid-namespace');
    await bystanderStillServed();
  });

  test('rejects a stream header addressed to another domain with host-unknown', T, async () => {
    const c = await connect();
    c.send(streamHeader({ to: 'elsewhere.example' }));
    assert.equal(await c.streamError(), 'host-unknown');
    await bystanderStillServed();
  });
});
