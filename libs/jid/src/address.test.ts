import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type Addressee, addressOf, bareOf } from './address.ts';

const D = 'example.com';
const ME = `juliet@${D}`;

describe('the routing decision on a stanza address', () => {
  const cases: Array<[string | undefined, Addressee]> = [
    [undefined, { kind: 'server' }],
    [D, { kind: 'server' }],
    [`${D}/admin`, { kind: 'server' }],
    [ME, { kind: 'own-bare', bare: ME }],
    [`${ME}/balcony`, { kind: 'full', bare: ME, full: `${ME}/balcony` }],
    [`romeo@${D}`, { kind: 'bare', bare: `romeo@${D}` }],
    [`romeo@${D}/orchard`, { kind: 'full', bare: `romeo@${D}`, full: `romeo@${D}/orchard` }],
    [`romeo@${D}/a/b@c`, { kind: 'full', bare: `romeo@${D}`, full: `romeo@${D}/a/b@c` }],
    ['other.net', { kind: 'remote', domain: 'other.net' }],
    ['romeo@other.net/x', { kind: 'remote', domain: 'other.net' }],
    [`conference.${D}`, { kind: 'remote', domain: `conference.${D}` }],
    [`${D}.evil`, { kind: 'remote', domain: `${D}.evil` }],
  ];
  for (const [to, expected] of cases) {
    test(`to=${to ?? '(none)'} is ${expected.kind}`, () => assert.deepEqual(addressOf(to, ME, D), expected));
  }

  test('with a chatroom service, its rooms, occupants and the service itself are rooms; other subdomains stay remote', () => {
    const S = `conference.${D}`;
    assert.deepEqual(addressOf(`tea@${S}`, ME, D, S), { kind: 'room', room: `tea@${S}`, nick: null });
    assert.deepEqual(addressOf(`tea@${S}/Nick/with slash`, ME, D, S), { kind: 'room', room: `tea@${S}`, nick: 'Nick/with slash' });
    assert.deepEqual(addressOf(S, ME, D, S), { kind: 'room', room: S, nick: null });
    assert.deepEqual(addressOf(`tea@pubsub.${D}`, ME, D, S), { kind: 'remote', domain: `pubsub.${D}` });
    assert.deepEqual(addressOf(`tea@${S}`, ME, D, null), { kind: 'remote', domain: S });
  });

  test('the bare JID of a full JID ends at the first slash', () => {
    assert.equal(bareOf('a@b/c/d'), 'a@b');
    assert.equal(bareOf('a@b'), 'a@b');
    assert.equal(bareOf('b/c'), 'b');
  });
});
