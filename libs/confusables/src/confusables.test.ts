import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { confusable, jidSkeleton, lookalikeAmong, skeleton } from './index.ts';

/** ICU's own skeletons (Debian's python3-icu), the reference our table was generated from. */
function icuSkeletons(inputs: string[]): string[] {
  const script = `
import json, sys, icu
c = icu.SpoofChecker()
print(json.dumps([c.getSkeleton(0, s) for s in json.load(sys.stdin)]))`;
  const r = spawnSync('/usr/bin/python3', ['-c', script], { input: JSON.stringify(inputs), encoding: 'utf8' });
  assert.equal(r.status, 0, `python3-icu is needed for this test (scripts/ensure-system-deps.sh installs it): ${r.stderr}`);
  return JSON.parse(r.stdout);
}

describe('UTS #39 skeletons', () => {
  it('finds the classic impostors of a name confusable', () => {
    assert.ok(confusable('paypal', 'paypa1'), 'digit one for l');
    assert.ok(confusable('paypal', 'p\u0430ypal'), 'Cyrillic a');
    assert.ok(confusable('modern', 'rnodern'), 'rn for m');
    assert.ok(confusable('admin', '\u0430dmin'));
    assert.ok(!confusable('alice', 'alice'), 'a name is not an impostor of itself');
    assert.ok(!confusable('alice', 'bob'));
    assert.ok(confusable('bankofx', 'bank0fx'), 'zero for o: its prototype is a capital O, and names have no case');
  });

  it('keeps the @ of a JID a separator', () => {
    assert.equal(jidSkeleton('paypa1@example.com'), jidSkeleton('paypal@example.com'));
    assert.notEqual(jidSkeleton('a@bc'), jidSkeleton('ab@c'));
  });

  it('names the contact a look-alike imitates, and none for the contact itself or a stranger', () => {
    const contacts = ['paypal@example.com', 'bob@example.com'];
    assert.equal(lookalikeAmong('paypa1@example.com', contacts), 'paypal@example.com');
    assert.equal(lookalikeAmong('paypal@example.com', contacts), undefined);
    assert.equal(lookalikeAmong('carol@example.com', contacts), undefined);
  });

  it('agrees with ICU on a corpus of look-alikes and on random strings', () => {
    const corpus = ['paypa1', 'p\u0430ypal', 'rnodern', '\u0430dmin', 'ℓove', 'ｆｕｌｌ', '𝐛𝐨𝐥𝐝', 'e\u0301', 'é', 'Ⅻ', 'ǉ', '0O', 'ᏗᎷ', 'ɑlpha'];
    const random = fc.sample(fc.string({ unit: 'grapheme', maxLength: 12 }), { numRuns: 400, seed: 39 });
    const bmp = fc.sample(fc.string({ unit: fc.integer({ min: 0x20, max: 0xffff }).filter((c) => c < 0xd800 || c > 0xdfff).map((c) => String.fromCodePoint(c)), maxLength: 8 }), { numRuns: 400, seed: 7 });
    const inputs = [...corpus, ...random, ...bmp];
    const expected = icuSkeletons(inputs);
    for (const [i, s] of inputs.entries()) assert.equal(skeleton(s), expected[i], `skeleton of ${JSON.stringify(s)}`);
  });
});
