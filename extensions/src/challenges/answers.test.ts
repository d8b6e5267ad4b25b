import assert from 'node:assert/strict';
import { test } from 'node:test';
import { answerMatches, hashAnswer, normaliseAnswer } from './answers.ts';

test('answers are normalised: case, surrounding and repeated spaces, compatibility forms', () => {
  assert.equal(normaliseAnswer('  New   York '), 'new york');
  assert.equal(normaliseAnswer('ＰＡＲＩＳ'), 'paris', 'full-width letters fold (NFKC)');
});

test('an answer is stored salted and hashed, and matches only its normalised equals', async () => {
  const a = await hashAnswer('Paris');
  const b = await hashAnswer('Paris');
  assert.notEqual(a.hash, b.hash, 'a salt per answer');
  assert.ok(!a.hash.includes('aris') && a.salt.length === 32);
  assert.equal(await answerMatches(' PARIS ', [a]), true);
  assert.equal(await answerMatches('Lyon', [a, b]), false);
  assert.equal(await answerMatches('lyon', [a, await hashAnswer('Lyon')]), true, 'any accepted answer');
  assert.equal(await answerMatches('', [a]), false);
});
