import assert from 'node:assert/strict';
import { test } from 'node:test';
import { xml } from '@parley/xml';
import { decodeWire, encodeWire, stampTo } from './index.ts';

test('a stanza request survives the byte codec', () => {
  const stanza = xml('message', { xmlns: 'jabber:client', to: 'bob@x', type: 'chat' }, xml('body', null, 'hi <3 & bye'));
  const back = decodeWire(encodeWire({ kind: 'stanza', key: 'bob@x', stanza }));
  assert.ok('kind' in back && back.kind === 'stanza');
  assert.equal(back.stanza.getChildText('body'), 'hi <3 & bye');
  assert.equal(back.key, 'bob@x');
});

test('stampTo adds a to attribute to a serialized stanza', () => {
  assert.equal(stampTo('<presence from="a@x/r"/>', 'b@x/y'), '<presence to="b@x/y" from="a@x/r"/>');
  assert.equal(stampTo('<presence/>', 'b@x'), '<presence to="b@x"/>');
  assert.equal(stampTo('<presence>', `q"'<&`), '<presence to="q&#34;&#39;&#60;&#38;">');
});
