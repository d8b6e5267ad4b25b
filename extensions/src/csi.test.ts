import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { StreamApi } from '@parley/ext';
import { silentLogger } from '@parley/log';
import { xml } from '@parley/xml';
import { clientStateIndication, csiHoldKey, NS_CSI } from './csi.ts';

test('what an inactive client can wait for: presence broadcasts and standalone chat states', () => {
  assert.equal(csiHoldKey('<presence from="b@x/1"><show>away</show></presence>'), 'p b@x/1');
  assert.equal(csiHoldKey('<presence from="b@x/1" type="unavailable"/>'), 'p b@x/1');
  assert.equal(csiHoldKey('<presence from="b@x" type="subscribe"/>'), null, 'subscription requests go at once');
  assert.equal(csiHoldKey('<message from="b@x/1" type="chat"><composing xmlns="http://jabber.org/protocol/chatstates"/></message>'), 'c b@x/1');
  assert.equal(csiHoldKey('<message from="b@x/1" type="chat"><body>hi</body><active xmlns="http://jabber.org/protocol/chatstates"/></message>'), null);
  assert.equal(csiHoldKey('<iq from="x" type="result" id="1"/>'), null);
});

test('inactive holds and coalesces; an urgent stanza releases the held ones first; active releases the rest', () => {
  const out: string[] = [];
  const patches: unknown[] = [];
  const api = { id: 'c', log: silentLogger, release: (t: string) => out.push(t), patchEntry: (p: unknown) => patches.push(p), streamError: () => {} } as unknown as StreamApi;
  const hooks = clientStateIndication().edge!.connection!(api);
  const send = (t: string) => {
    if (hooks.outbound!(t, undefined) !== 'hold') out.push(t);
  };
  send('<presence from="b@x/1"/>');
  hooks.nonza!(xml('inactive', { xmlns: NS_CSI }), true);
  assert.deepEqual(patches, [{ inactive: true }]);
  send('<presence from="b@x/1"><show>away</show></presence>');
  send('<presence from="c@x/1"/>');
  send('<presence from="b@x/1"><show>dnd</show></presence>');
  assert.equal(out.length, 1);
  send('<message from="b@x/1"><body>hi</body></message>');
  assert.deepEqual(out.slice(1), ['<presence from="c@x/1"/>', '<presence from="b@x/1"><show>dnd</show></presence>', '<message from="b@x/1"><body>hi</body></message>']);
  send('<presence from="c@x/1" type="unavailable"/>');
  hooks.nonza!(xml('active', { xmlns: NS_CSI }), true);
  assert.equal(out.at(-1), '<presence from="c@x/1" type="unavailable"/>');
  assert.deepEqual(patches.at(-1), { inactive: undefined });
});
