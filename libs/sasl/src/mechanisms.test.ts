import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  type SaslContext,
  channelBindingTypesOffered,
  createSaslSession,
  deriveAllCredentials,
  deriveScramCredential,
  offeredMechanisms,
} from './index.ts';

function context(overrides: Partial<SaslContext> = {}): SaslContext {
  return {
    tls: true,
    channelBinding: (type) => (type === 'tls-exporter' ? Buffer.alloc(32) : undefined),
    lookup: async () => null,
    fakeSaltSecret: Buffer.from('secret'),
    ...overrides,
  };
}

describe('offered mechanisms', () => {
  test('lists -PLUS first, strongest hash first, and PLAIN last over TLS', () => {
    assert.deepEqual(offeredMechanisms({ tls: true, channelBindingTypes: ['tls-exporter'] }), [
      'SCRAM-SHA-512-PLUS',
      'SCRAM-SHA-256-PLUS',
      'SCRAM-SHA-1-PLUS',
      'SCRAM-SHA-512',
      'SCRAM-SHA-256',
      'SCRAM-SHA-1',
      'PLAIN',
    ]);
  });

  test('offers no -PLUS without channel-binding data and no PLAIN without TLS', () => {
    assert.deepEqual(offeredMechanisms({ tls: false, channelBindingTypes: [], plainAllowed: true }), [
      'SCRAM-SHA-512',
      'SCRAM-SHA-256',
      'SCRAM-SHA-1',
    ]);
    assert.ok(!offeredMechanisms({ tls: true, channelBindingTypes: [] }).some((m) => m.endsWith('-PLUS')));
  });

  test('leaves PLAIN out when it is disabled', () => {
    assert.ok(!offeredMechanisms({ tls: true, channelBindingTypes: [], plainAllowed: false }).includes('PLAIN'));
  });

  test('reports the channel-binding types with data on this connection', () => {
    assert.deepEqual(channelBindingTypesOffered(context()), ['tls-exporter']);
  });
});

describe('creating sessions', () => {
  test('returns null for a mechanism that does not exist', () => {
    assert.equal(createSaslSession('DIGEST-MD5', context()), null);
    assert.equal(createSaslSession('scram-sha-256', context()), null);
  });

  test('returns null for -PLUS when the connection has no channel binding', () => {
    assert.equal(createSaslSession('SCRAM-SHA-256-PLUS', context({ channelBinding: () => undefined })), null);
    assert.equal(createSaslSession('SCRAM-SHA-256-PLUS', context())?.mechanism, 'SCRAM-SHA-256-PLUS');
  });
});

describe('credentials', () => {
  test('derives a credential with 10000 iterations and a fresh 16-byte salt by default', async () => {
    const a = await deriveScramCredential('pw', 'SHA-256');
    const b = await deriveScramCredential('pw', 'SHA-256');
    assert.equal(a.iterations, 10000);
    assert.equal(Buffer.from(a.salt, 'base64').length, 16);
    assert.notEqual(a.salt, b.salt);
    assert.equal(Buffer.from(a.storedKey, 'base64').length, 32);
  });

  test('derives one credential per hash', async () => {
    const all = await deriveAllCredentials('pw', 4096);
    assert.deepEqual(
      all.map((c) => [c.hash, Buffer.from(c.serverKey, 'base64').length]),
      [['SHA-512', 64], ['SHA-256', 32], ['SHA-1', 20]],
    );
  });

  test('prepares the password with OpaqueString', async () => {
    const salt = Buffer.alloc(16, 1);
    const spaced = await deriveScramCredential('pass\u1680word', 'SHA-256', { salt, iterations: 4096 });
    const plainSpace = await deriveScramCredential('pass word', 'SHA-256', { salt, iterations: 4096 });
    assert.equal(spaced.storedKey, plainSpace.storedKey);
    await assert.rejects(deriveScramCredential('tab\there', 'SHA-256'), RangeError);
    await assert.rejects(deriveScramCredential('', 'SHA-256'), RangeError);
  });

  test('refuses fewer than 4096 iterations', async () => {
    await assert.rejects(deriveScramCredential('pw', 'SHA-1', { iterations: 1000 }), RangeError);
  });
});
