// XEP-0386 §3: the server chooses the Bind2 resource from the client's tag and its user agent.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bind2Resource } from './bind2.ts';

test('one installation of one account always gets the same resource; another installation or account another', () => {
  const a = bind2Resource('alice', 'Conversations', 'ua-1');
  assert.match(a, /^Conversations\.[0-9a-f]{12}$/);
  assert.equal(bind2Resource('alice', 'Conversations', 'ua-1'), a);
  assert.notEqual(bind2Resource('alice', 'Conversations', 'ua-2'), a);
  assert.notEqual(bind2Resource('bob', 'Conversations', 'ua-1').split('.')[1], a.split('.')[1], 'not linkable across accounts');
});

test('without a user-agent id the resource is random; a tag that cannot be a resourcepart is left out', () => {
  assert.notEqual(bind2Resource('alice', 'app', null), bind2Resource('alice', 'app', null));
  assert.match(bind2Resource('alice', '\u0007bell', 'ua'), /^[0-9a-f]{12}$/);
  assert.match(bind2Resource('alice', '   ', 'ua'), /^[0-9a-f]{12}$/);
  assert.match(bind2Resource('alice', null, 'ua'), /^[0-9a-f]{12}$/);
});
