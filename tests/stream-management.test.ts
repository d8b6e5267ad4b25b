// XEP-0198 acknowledgements: the server's <a h/> counts a stanza only once its owning actor has
// accepted it (ARCHITECTURE.md, Actors: "the edge acknowledges a client's stanza only after the
// owning actor accepted it").
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { xml } from '@parley/xml';
import { flush } from './harness/flush.ts';
import { newId, RawClient } from './harness/raw.ts';
import { startTestServer, type TestServer } from './harness/server.ts';

const T = { timeout: 20_000 };
const SM = 'urn:xmpp:sm:3';
let ts: TestServer;

before(async () => {
  ts = await startTestServer();
  await ts.addUsers(['smsender', 'pw1'], ['smreceiver', 'pw2']);
});
after(async () => ts.stop());

describe('stream management', () => {
  test('acknowledges exactly the stanzas the server accepted, after they were delivered', T, async () => {
    const sender = await RawClient.login(ts.ports.c2s, 'smsender', 'pw1', 'a');
    const receiver = await RawClient.login(ts.ports.c2s, 'smreceiver', 'pw2', 'b');
    receiver.send(xml('presence'));
    await flush(receiver);
    sender.send(xml('enable', { xmlns: SM }));
    await sender.next((el) => el.is('enabled', SM), 'enabled');
    for (let i = 0; i < 25; i++) {
      sender.send(xml('message', { to: `smreceiver@${ts.domain}`, type: 'chat', id: newId() }, xml('body', null, `m${i}`)));
    }
    sender.send(xml('r', { xmlns: SM }));
    // Wait for acknowledgements until all 25 are counted (an early <a/> may count fewer).
    let h = 0;
    while (h < 25) {
      const a = await sender.next((el) => el.is('a', SM), 'ack');
      h = Number(a.attr('h'));
      assert.ok(h <= 25, `acknowledged ${h} of 25`);
      if (h < 25) sender.send(xml('r', { xmlns: SM }));
    }
    for (let i = 0; i < 25; i++) {
      const m = await receiver.next((el) => el.is('message') && el.getChildText('body') === `m${i}`, `message m${i}`);
      assert.equal(m.attr('from'), sender.jid);
    }
    sender.close();
    receiver.close();
  });

  // XEP-0198 §4: the <a/> answering an <r/> counts the stanzas handled before it. A presence still
  // on its way to its actor is answered once accepted, not with a lower h that is never corrected
  // (aioxmpp waits for the count of its initial presence and hung here).
  test('an ack request right after a stanza is answered with that stanza counted', T, async () => {
    const c = await RawClient.login(ts.ports.c2s, 'smsender', 'pw1', 'd');
    c.send(xml('enable', { xmlns: SM }));
    await c.next((el) => el.is('enabled', SM), 'enabled');
    c.send(xml('presence'));
    c.send(xml('r', { xmlns: SM }));
    const a = await c.next((el) => el.is('a', SM), 'ack');
    assert.equal(a.attr('h'), '1');
    // Two requests in a row after three stanzas: both answered, in order, each counting all three.
    for (let i = 0; i < 3; i++) c.send(xml('message', { to: `smreceiver@${ts.domain}`, type: 'chat', id: newId() }, xml('body', null, `x${i}`)));
    c.send(xml('r', { xmlns: SM }));
    c.send(xml('r', { xmlns: SM }));
    assert.equal((await c.next((el) => el.is('a', SM), 'first ack')).attr('h'), '4');
    assert.equal((await c.next((el) => el.is('a', SM), 'second ack')).attr('h'), '4');
    c.close();
  });

  test('refuses to enable before a resource is bound', T, async () => {
    const c = await RawClient.open(ts.ports.c2s);
    await c.startStream();
    await c.starttls();
    await c.authenticate('smsender', 'pw1');
    c.send(xml('enable', { xmlns: SM }));
    const failed = await c.next((el) => el.is('failed', SM), 'failed');
    assert.ok(failed.getChild('unexpected-request'));
    c.close();
  });

  test('an acknowledgement of more than was sent closes the stream', T, async () => {
    const c = await RawClient.login(ts.ports.c2s, 'smsender', 'pw1', 'c');
    c.send(xml('enable', { xmlns: SM }));
    await c.next((el) => el.is('enabled', SM), 'enabled');
    c.send(xml('a', { xmlns: SM, h: '1000' }));
    assert.equal(await c.streamError(), 'undefined-condition');
  });
});
