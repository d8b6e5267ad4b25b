// XEP-0386 inline features of the modules, driven without sockets: the loaded modules advertise
// what they can enable inside a Bind2 request, and their connection hooks enable it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadModules, type StreamApi } from '@parley/ext';
import { parseJid } from '@parley/jid';
import { silentLogger } from '@parley/log';
import { NS } from '@parley/stanza';
import { type Element, xml } from '@parley/xml';
import { carbons } from './carbons.ts';
import { streamManagement } from './stream-management/index.ts';

function connect() {
  const loaded = loadModules([carbons, streamManagement()]);
  const sent: Element[] = [];
  const patches: unknown[] = [];
  const api = {
    id: 'c1',
    edgeId: 'e1',
    account: () => 'a@example.com',
    location: { smSave: async () => {} },
    log: silentLogger,
    jid: () => parseJid('a@example.com/app.1'),
    send: (el: Element) => sent.push(el),
    streamError: () => {},
    isClosed: () => false,
    patchEntry: (p: unknown) => patches.push(p),
    acknowledged: () => {},
  } as unknown as StreamApi;
  const hooks = loaded.edge.connect(api);
  const inline = (el: Element) => hooks.find((h) => h.xmlns === el.getNS() && h.bindInline)?.bindInline?.(el);
  return { loaded, hooks, sent, patches, inline };
}

test('carbons and stream management advertise Bind2 inline features', () => {
  assert.deepEqual(connect().loaded.edge.bind2Inline(), [NS.carbons, NS.sm]);
});

test('carbons enabled inline set the flag on the location entry and put nothing into <bound/>', () => {
  const c = connect();
  assert.equal(c.inline(xml('enable', { xmlns: NS.carbons })), null);
  assert.deepEqual(c.patches, [{ carbons: true }]);
});

test('stream management enabled inline answers <enabled/> for <bound/> instead of on the stream, and counts from there', () => {
  const c = connect();
  const answer = c.inline(xml('enable', { xmlns: NS.sm, resume: 'true' }));
  assert.ok(answer?.is('enabled', NS.sm));
  assert.equal(answer?.attr('resume'), 'true', 'resumable, as asked (XEP-0198 §5)');
  assert.equal(c.sent.length, 0, 'nothing written on the stream');
  assert.equal((c.patches[0] as { sm?: boolean }).sm, true);
  // Enabled: an ack request is answered at once (no stanza was received).
  const sm = c.hooks.find((h) => h.xmlns === NS.sm)!;
  sm.nonza!(xml('r', { xmlns: NS.sm }), true);
  assert.equal(c.sent[0]?.attr('h'), '0');
  // A second enable (inline or not) is refused, XEP-0198 §3.
  assert.ok(c.inline(xml('enable', { xmlns: NS.sm }))?.is('failed', NS.sm));
});
