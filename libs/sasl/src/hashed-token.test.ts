import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { test } from 'node:test';
import {
  hashedTokenChannelBinding,
  hashedTokenInitial,
  hashedTokenKey,
  hashedTokenMechanisms,
  hashedTokenResponder,
  newHashedToken,
  parseHashedTokenInitial,
  verifyHashedToken,
} from './hashed-token.ts';

test('the stored hash of a long token verifies what a client computes with the token itself (RFC 2104 §2)', () => {
  const { token, key } = newHashedToken();
  assert.ok(Buffer.byteLength(token) > 64);
  const cb = Buffer.from('channel binding data');
  const parsed = parseHashedTokenInitial(hashedTokenInitial('alice', token, cb));
  assert.ok(parsed);
  assert.equal(parsed.username, 'alice');
  assert.equal(verifyHashedToken(key, cb, parsed.proof), true);
  assert.equal(verifyHashedToken(key, Buffer.from('other connection'), parsed.proof), false, 'bound to the channel');
  assert.equal(verifyHashedToken(hashedTokenKey(newHashedToken().token), cb, parsed.proof), false, 'another token');
  // The client checks the server's answer with the token as key.
  const clientSide = createHmac('sha256', Buffer.from(token)).update('Responder').update(cb).digest();
  assert.deepEqual(hashedTokenResponder(key, cb), clientSide);
});

test('a short token is refused as a key (its hash would not be the HMAC key)', () => {
  assert.throws(() => hashedTokenKey('short'), /longer than 64 bytes/);
});

test('malformed first messages are refused: no NUL, empty username, wrong proof length', () => {
  assert.equal(parseHashedTokenInitial(Buffer.from('alice')), null);
  assert.equal(parseHashedTokenInitial(Buffer.concat([Buffer.from([0]), Buffer.alloc(32)])), null);
  assert.equal(parseHashedTokenInitial(Buffer.concat([Buffer.from('alice\0'), Buffer.alloc(31)])), null);
  assert.equal(parseHashedTokenInitial(Buffer.concat([Buffer.from([0xff, 0xfe, 0]), Buffer.alloc(32)])), null);
});

test('mechanisms with channel binding are offered only when the connection has that binding', () => {
  assert.deepEqual(hashedTokenMechanisms([]), ['HT-SHA-256-NONE']);
  assert.deepEqual(hashedTokenMechanisms(['tls-exporter', 'tls-server-end-point']), ['HT-SHA-256-ENDP', 'HT-SHA-256-EXPR', 'HT-SHA-256-NONE']);
  assert.equal(hashedTokenChannelBinding('HT-SHA-256-EXPR'), 'tls-exporter');
  assert.equal(hashedTokenChannelBinding('HT-SHA-256-NONE'), null);
  assert.equal(hashedTokenChannelBinding('HT-SHA-256-UNIQ'), undefined);
});
