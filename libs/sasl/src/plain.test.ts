import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type SaslContext, type ScramCredential, createSaslSession, deriveScramCredential } from './index.ts';

const credential = await deriveScramCredential('r0m30myr0m30', 'SHA-256', { iterations: 4096 });
const lookups: string[] = [];

function context(overrides: Partial<SaslContext> = {}): SaslContext {
  return {
    tls: true,
    channelBinding: () => undefined,
    lookup: async (username, hash): Promise<ScramCredential | null> => {
      lookups.push(`${username}/${hash}`);
      return username === 'juliet' && hash === 'SHA-256' ? credential : null;
    },
    fakeSaltSecret: Buffer.from('secret'),
    defaultIterations: 4096,
    ...overrides,
  };
}

function plain(authzid: string, authcid: string, password: string): Buffer {
  return Buffer.from(`${authzid}\0${authcid}\0${password}`);
}

async function run(message: Buffer, ctx: SaslContext = context()) {
  const session = createSaslSession('PLAIN', ctx);
  assert.ok(session);
  return session.start(message);
}

describe('PLAIN', () => {
  test('juliet logs in with the right password, checked against her SCRAM credential', async () => {
    assert.deepEqual(await run(plain('', 'juliet', 'r0m30myr0m30')), { kind: 'success', username: 'juliet' });
  });

  test('the username is prepared before lookup', async () => {
    assert.deepEqual(await run(plain('', 'Juliet', 'r0m30myr0m30')), { kind: 'success', username: 'juliet' });
  });

  test('a wrong password fails with not-authorized', async () => {
    assert.deepEqual(await run(plain('', 'juliet', 'wrong')), { kind: 'failure', condition: 'not-authorized' });
  });

  test('a locked account fails with the right password exactly like a wrong password', async () => {
    const locked = context({ lookup: async (username, hash) => (username === 'juliet' && hash === 'SHA-256' ? { ...credential, locked: true } : null) });
    assert.deepEqual(await run(plain('', 'juliet', 'r0m30myr0m30'), locked), { kind: 'failure', condition: 'not-authorized' });
  });

  test('an unknown user fails exactly like a wrong password, after asking the store for every hash', async () => {
    lookups.length = 0;
    assert.deepEqual(await run(plain('', 'nobody', 'r0m30myr0m30')), { kind: 'failure', condition: 'not-authorized' });
    assert.deepEqual(lookups.sort(), ['nobody/SHA-1', 'nobody/SHA-256', 'nobody/SHA-512']);
  });

  test('is refused without TLS with encryption-required', async () => {
    assert.deepEqual(await run(plain('', 'juliet', 'r0m30myr0m30'), context({ tls: false })), {
      kind: 'failure',
      condition: 'encryption-required',
    });
  });

  test('is not available at all when disabled', () => {
    assert.equal(createSaslSession('PLAIN', context({ plainAllowed: false })), null);
  });

  test('accepts the user own bare JID as authzid and rejects another', async () => {
    const ctx = context({ domain: 'example.com' });
    assert.deepEqual(await run(plain('juliet@example.com', 'juliet', 'r0m30myr0m30'), ctx), {
      kind: 'success',
      username: 'juliet',
      authzid: 'juliet@example.com',
    });
    assert.deepEqual(await run(plain('romeo@example.com', 'juliet', 'r0m30myr0m30'), ctx), {
      kind: 'failure',
      condition: 'invalid-authzid',
    });
  });

  test('malformed messages fail with malformed-request', async () => {
    for (const bad of [
      Buffer.from('juliet'),
      Buffer.from('\0juliet'),
      Buffer.from('\0juliet\0pw\0extra'),
      plain('', '', 'pw'),
      plain('', 'juliet', ''),
      plain('', 'juliet', 'x'.repeat(256)),
      Buffer.concat([Buffer.from('\0jul'), Buffer.from([0xc3]), Buffer.from('\0pw')]),
    ]) {
      const result = await run(bad);
      assert.equal(result.kind === 'failure' && result.condition, 'malformed-request', JSON.stringify(bad.toString()));
    }
  });

  test('asks for the credentials with an empty challenge when there is no initial response', async () => {
    const session = createSaslSession('PLAIN', context());
    assert.ok(session);
    assert.deepEqual(await session.start(null), { kind: 'challenge', data: Buffer.alloc(0) });
    assert.deepEqual(await session.step(plain('', 'juliet', 'r0m30myr0m30')), { kind: 'success', username: 'juliet' });
    assert.equal((await session.step(plain('', 'juliet', 'r0m30myr0m30'))).kind, 'failure');
  });
});
