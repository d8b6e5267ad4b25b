import assert from 'node:assert/strict';
import { test } from 'node:test';
import { addressKey } from './address.ts';
import { claimedUser } from './brute-force.ts';

test('IPv4 addresses count alone, IPv6 addresses by their /64, IPv4-mapped IPv6 as IPv4', () => {
  assert.equal(addressKey('192.0.2.7'), '192.0.2.7');
  assert.equal(addressKey('::ffff:192.0.2.7'), '192.0.2.7');
  assert.equal(addressKey('2001:db8:1:2:aaaa::1'), '2001:db8:1:2::/64');
  assert.equal(addressKey('2001:db8:1:2:bbbb:cccc:dddd:eeee'), '2001:db8:1:2::/64');
  assert.equal(addressKey('2001:db8::1'), '2001:db8:0:0::/64');
  assert.notEqual(addressKey('2001:db8:1:3::1'), addressKey('2001:db8:1:2::1'));
  assert.equal(addressKey('::1'), '0:0:0:0::/64');
});

test('the name a login claims is read from PLAIN and SCRAM first messages, prepared like a localpart', () => {
  assert.equal(claimedUser('PLAIN', Buffer.from('\0Juliet\0secret')), 'juliet');
  assert.equal(claimedUser('PLAIN', Buffer.from('juliet@localhost\0juliet@localhost\0secret')), 'juliet');
  assert.equal(claimedUser('SCRAM-SHA-256', Buffer.from('n,,n=juliet,r=abc')), 'juliet');
  assert.equal(claimedUser('SCRAM-SHA-1-PLUS', Buffer.from('p=tls-exporter,,n=ro=2Cmeo,r=x')), 'ro,meo', 'RFC 5802 §5.1 escaping is undone');
  assert.equal(claimedUser('SCRAM-SHA-256', Buffer.from('garbage')), null);
  assert.equal(claimedUser('PLAIN', Buffer.from('no separators')), null);
});
