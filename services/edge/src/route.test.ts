import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseJid } from '@parley/jid';
import { parseFragment } from '@parley/xml';
import { routeFor } from './route.ts';

const alice = parseJid('alice@example.com/phone');
const r = (s: string) => routeFor(parseFragment(s), alice, 'example.com');

test('presence always goes to the sender presence actor', () => {
  assert.deepEqual(r('<presence xmlns="jabber:client"/>'), { service: 'presence', key: 'alice@example.com' });
  assert.deepEqual(r('<presence xmlns="jabber:client" to="bob@example.com" type="subscribe"/>'), { service: 'presence', key: 'alice@example.com' });
});

test('roster requests go to the sender presence actor', () => {
  assert.deepEqual(r('<iq xmlns="jabber:client" type="get" id="1"><query xmlns="jabber:iq:roster"/></iq>'), { service: 'presence', key: 'alice@example.com' });
});

test('server IQs go to the sender session actor', () => {
  assert.deepEqual(r('<iq xmlns="jabber:client" type="get" id="1" to="example.com"><ping xmlns="urn:xmpp:ping"/></iq>'), { service: 'session', key: 'alice@example.com' });
  assert.deepEqual(r('<iq xmlns="jabber:client" type="get" id="1"><ping xmlns="urn:xmpp:ping"/></iq>'), { service: 'session', key: 'alice@example.com' });
});

test('messages go to the recipient session actor whether the address is bare or full', () => {
  assert.deepEqual(r('<message xmlns="jabber:client" to="bob@example.com"/>'), { service: 'session', key: 'bob@example.com' });
  assert.deepEqual(r('<message xmlns="jabber:client" to="bob@example.com/laptop"/>'), { service: 'session', key: 'bob@example.com' });
});
