// The modules' halves of "login, bind, carbons, stream management and CSI in one round trip",
// driven without sockets: CSI inside a Bind2 request (XEP-0386 §2.3, XEP-0352), and XEP-0198
// resumption inside SASL2 (XEP-0388 §2.3) through the `sasl2Inline` hook.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadModules, type StreamApi } from '@parley/ext';
import { silentLogger } from '@parley/log';
import { NS } from '@parley/stanza';
import { xml } from '@parley/xml';
import { carbons } from './carbons.ts';
import { clientStateIndication, NS_CSI } from './csi.ts';
import { streamManagement } from './stream-management/index.ts';

function connect(resumeSec = 300, smGet: (id: string) => Promise<unknown> = async () => null) {
  const loaded = loadModules([carbons, streamManagement({ resumeSec }), clientStateIndication()]);
  const patches: unknown[] = [];
  const api = {
    id: 'c1',
    edgeId: 'e1',
    account: () => 'a@example.com',
    location: { smGet },
    log: silentLogger,
    jid: () => null,
    send: () => {},
    streamError: () => {},
    isClosed: () => false,
    patchEntry: (p: unknown) => patches.push(p),
    release: () => {},
  } as unknown as StreamApi;
  const hooks = loaded.edge.connect(api);
  return { loaded, hooks, patches };
}

test('CSI is a Bind2 inline feature; <inactive/> inside Bind2 makes the connection inactive, with nothing for <bound/>', () => {
  const c = connect();
  assert.deepEqual(c.loaded.edge.bind2Inline(), [NS.carbons, NS.sm, NS_CSI]);
  const csi = c.hooks.find((h) => h.xmlns === NS_CSI)!;
  assert.equal(csi.bindInline!(xml('inactive', { xmlns: NS_CSI })), null);
  assert.deepEqual(c.patches, [{ inactive: true }]);
  assert.equal(csi.outbound!('<presence from="b@x/1"/>', undefined), 'hold', 'presence waits while inactive');
  assert.equal(csi.outbound!('<message from="b@x/1"><body>hi</body></message>', undefined), undefined);
});

test('<active/> inside Bind2 (the default) changes nothing', () => {
  const c = connect();
  const csi = c.hooks.find((h) => h.xmlns === NS_CSI)!;
  assert.equal(csi.bindInline!(xml('active', { xmlns: NS_CSI })), null);
  assert.deepEqual(c.patches, []);
  assert.equal(csi.outbound!('<presence from="b@x/1"/>', undefined), undefined);
});

test('stream management lists <sm/> in the SASL2 inline features only when resumption is on', () => {
  const on = connect().loaded.edge.sasl2Inline();
  assert.equal(on.length, 1);
  assert.ok(on[0]!.is('sm', NS.sm));
  assert.deepEqual(connect(0).loaded.edge.sasl2Inline(), []);
});

test('a SASL2 <resume/>: bad input is bad-request, an unknown stream item-not-found; neither takes a session', async () => {
  const sm = connect().hooks.find((h) => h.xmlns === NS.sm)!;
  for (const bad of [xml('resume', { xmlns: NS.sm, h: '0' }), xml('resume', { xmlns: NS.sm, previd: 'x', h: '1.5' })]) {
    const o = await sm.sasl2Inline!(bad);
    assert.equal(o.session, false);
    assert.ok(o.element?.is('failed', NS.sm) && o.element.getChild('bad-request', NS.stanzas), `${bad}`);
  }
  const unknown = await sm.sasl2Inline!(xml('resume', { xmlns: NS.sm, previd: 'nope', h: '0' }));
  assert.equal(unknown.session, false);
  assert.ok(unknown.element?.getChild('item-not-found', NS.stanzas));
  // Another account's stream: the same answer (XEP-0198 §5, no hint that it exists).
  const other = connect(300, async () => ({ jid: 'b@example.com/x', conn: 'c0', h: 4 })).hooks.find((h) => h.xmlns === NS.sm)!;
  const theirs = await other.sasl2Inline!(xml('resume', { xmlns: NS.sm, previd: 'theirs', h: '0' }));
  assert.ok(theirs.element?.getChild('item-not-found', NS.stanzas));
  assert.equal(theirs.element?.attr('h'), undefined);
});

test('with resumption off a SASL2 <resume/> is feature-not-implemented', async () => {
  const sm = connect(0).hooks.find((h) => h.xmlns === NS.sm)!;
  const o = await sm.sasl2Inline!(xml('resume', { xmlns: NS.sm, previd: 'x', h: '0' }));
  assert.ok(o.element?.getChild('feature-not-implemented', NS.stanzas));
});
