import assert from 'node:assert/strict';
import { createHash, createHmac, pbkdf2Sync } from 'node:crypto';
import { describe, test } from 'node:test';
import { chooseMechanism, plainClient, scramClient } from './sasl.ts';

describe('SCRAM client', () => {
  test('produces the RFC 5802 §5 example exchange for SCRAM-SHA-1', () => {
    const c = scramClient('SCRAM-SHA-1', 'user', 'pencil', 'fyko+d2lbbFgONRv9qkxdawL');
    assert.equal(c.initial().toString(), 'n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL');
    const final = c.challenge(
      Buffer.from('r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096'),
    );
    assert.equal(
      final.toString(),
      'c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=',
    );
    assert.doesNotThrow(() => c.success(Buffer.from('v=rmF9pqV8S7suAoZWja4dJRkFsKQ=')));
  });

  test('produces the RFC 7677 §3 example exchange for SCRAM-SHA-256', () => {
    const c = scramClient('SCRAM-SHA-256', 'user', 'pencil', 'rOprNGfwEbeRWgbNEkqO');
    assert.equal(c.initial().toString(), 'n,,n=user,r=rOprNGfwEbeRWgbNEkqO');
    const final = c.challenge(
      Buffer.from('r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096'),
    );
    assert.equal(
      final.toString(),
      'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=',
    );
    assert.doesNotThrow(() => c.success(Buffer.from('v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=')));
  });

  test('rejects a server whose signature is wrong', () => {
    const c = scramClient('SCRAM-SHA-256', 'user', 'pencil', 'abc');
    c.challenge(Buffer.from('r=abcdef,s=c2FsdA==,i=10'));
    assert.throws(() => c.success(Buffer.from('v=AAAA')), /signature/);
  });

  test('rejects a server nonce that does not extend the client nonce', () => {
    const c = scramClient('SCRAM-SHA-1', 'user', 'pencil', 'abc');
    assert.throws(() => c.challenge(Buffer.from('r=xyz,s=c2FsdA==,i=10')), /malformed/);
  });

  test('proves the password to a verifier computed from stored keys', () => {
    const salt = Buffer.from('salt-1234');
    const c = scramClient('SCRAM-SHA-256', 'a,b=c', 'secret', 'nonce1');
    assert.equal(c.initial().toString(), 'n,,n=a=2Cb=3Dc,r=nonce1');
    const serverFirst = `r=nonce1srv,s=${salt.toString('base64')},i=64`;
    const final = c.challenge(Buffer.from(serverFirst)).toString();
    const salted = pbkdf2Sync('secret', salt, 64, 32, 'sha256');
    const storedKey = createHash('sha256')
      .update(createHmac('sha256', salted).update('Client Key').digest())
      .digest();
    const proof = Buffer.from(final.split(',p=')[1]!, 'base64');
    const authMessage = `n=a=2Cb=3Dc,r=nonce1,${serverFirst},${final.split(',p=')[0]}`;
    const sig = createHmac('sha256', storedKey).update(authMessage).digest();
    const clientKey = Buffer.from(proof.map((b, i) => b ^ sig[i]!));
    assert.deepEqual(createHash('sha256').update(clientKey).digest(), storedKey);
  });
});

describe('mechanism choice', () => {
  test('auto picks the strongest offered mechanism', () => {
    assert.equal(chooseMechanism(['PLAIN', 'SCRAM-SHA-1'], 'auto'), 'SCRAM-SHA-1');
    assert.equal(chooseMechanism(['SCRAM-SHA-256', 'PLAIN'], 'auto'), 'SCRAM-SHA-256');
    assert.equal(chooseMechanism(['X-OAUTH'], 'auto'), undefined);
  });

  test('an explicit mechanism the server does not offer is refused', () => {
    assert.equal(chooseMechanism(['SCRAM-SHA-1'], 'SCRAM-SHA-256'), undefined);
  });

  test('PLAIN sends authzid-less credentials', () => {
    assert.equal(plainClient('u', 'p').initial().toString(), '\0u\0p');
  });
});
