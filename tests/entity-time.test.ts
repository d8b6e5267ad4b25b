// XEP-0202 entity time through a real client: the worked example of docs/extending.md.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestServer, type TestServer } from './harness/server.ts';
import { XmppJsClient, xml } from './harness/xmppjs.ts';

const T = { timeout: 20_000 };
let ts: TestServer;

before(async () => {
  ts = await startTestServer();
  await ts.addUsers(['timekeeper', 'pw-t']);
});
after(async () => ts.stop());

describe('entity time', () => {
  test('xmpp.js asks the server for its time and gets UTC within seconds of its own clock', T, async () => {
    const c = await XmppJsClient.connect({ service: `xmpp://127.0.0.1:${ts.ports.c2s}`, domain: ts.domain, username: 'timekeeper', password: 'pw-t', fingerprint: ts.server.fingerprint });
    try {
      const info = await c.iq(xml('iq', { type: 'get', to: ts.domain }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })));
      const features = info.getChild('query')!.getChildren('feature').map((f) => f.attrs.var);
      assert.ok(features.includes('urn:xmpp:time'), 'advertised in disco#info');
      const res = await c.iq(xml('iq', { type: 'get', to: ts.domain }, xml('time', { xmlns: 'urn:xmpp:time' })));
      const time = res.getChild('time', 'urn:xmpp:time')!;
      const utc = Date.parse(time.getChildText('utc') ?? '');
      assert.ok(Math.abs(utc - Date.now()) < 5000, `utc ${time.getChildText('utc')}`);
      assert.match(time.getChildText('tzo') ?? '', /^(Z|[+-]\d\d:\d\d)$/);
    } finally {
      await c.stop();
    }
  });
});
