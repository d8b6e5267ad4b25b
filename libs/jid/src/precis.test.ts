import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { satisfiesBidiRule } from './bidi.ts';
import { derivedProperty } from './derived-property.ts';
import { JidError } from './errors.ts';
import { opaqueString, usernameCaseMapped } from './precis.ts';

const cps = (s: string) => Array.from(s, (c) => c.codePointAt(0)!);

describe('RFC 8265 §3.5 UsernameCaseMapped examples', () => {
  const valid: Array<[string, string]> = [
    ['juliet@example.com', 'juliet@example.com'],
    ['fussball', 'fussball'],
    ['fußball', 'fußball'],
    ['π', 'π'],
    ['Σ', 'σ'],
    ['σ', 'σ'],
    ['ς', 'ς'],
  ];
  for (const [input, output] of valid) {
    test(`accepts <${input}> as <${output}>`, () => assert.equal(usernameCaseMapped(input), output));
  }
  for (const input of ['"foo bar"', '', 'henry\u2163', '\u265a']) {
    test(`rejects <${input}>`, () => assert.throws(() => usernameCaseMapped(input), JidError));
  }
});

describe('RFC 8265 §4.3 OpaqueString examples', () => {
  test('accepts passwords with spaces, keeping case', () => {
    assert.equal(opaqueString('correct horse battery staple'), 'correct horse battery staple');
    assert.equal(opaqueString('Correct Horse Battery Staple'), 'Correct Horse Battery Staple');
  });
  test('accepts non-ASCII letters and symbols', () => {
    assert.equal(opaqueString('πßå'), 'πßå');
    assert.equal(opaqueString('Jack of \u2666s'), 'Jack of \u2666s');
  });
  test('maps OGHAM SPACE MARK to a space', () => {
    assert.equal(opaqueString('foo\u1680bar'), 'foo bar');
  });
  test('rejects the empty string and control characters', () => {
    assert.throws(() => opaqueString(''), JidError);
    assert.throws(() => opaqueString('my cat is a \u0009by'), JidError);
  });
});

describe('RFC 8264 derived properties', () => {
  test('classifies representative code points', () => {
    assert.equal(derivedProperty(0x61), 'PVALID'); // ASCII7
    assert.equal(derivedProperty(0x20), 'ID_DIS_OR_FREE_PVAL'); // space
    assert.equal(derivedProperty(0x00df), 'PVALID'); // exception
    assert.equal(derivedProperty(0x0640), 'DISALLOWED'); // exception: ARABIC TATWEEL
    assert.equal(derivedProperty(0x200d), 'CONTEXTJ');
    assert.equal(derivedProperty(0x00b7), 'CONTEXTO');
    assert.equal(derivedProperty(0x1100), 'DISALLOWED'); // old Hangul jamo
    assert.equal(derivedProperty(0x00ad), 'DISALLOWED'); // default ignorable
    assert.equal(derivedProperty(0xfdd0), 'DISALLOWED'); // noncharacter
    assert.equal(derivedProperty(0x0085), 'DISALLOWED'); // control
    assert.equal(derivedProperty(0x2163), 'ID_DIS_OR_FREE_PVAL'); // has compatibility mapping
    assert.equal(derivedProperty(0x01c5), 'ID_DIS_OR_FREE_PVAL'); // titlecase digraph
    assert.equal(derivedProperty(0x2603), 'ID_DIS_OR_FREE_PVAL'); // symbol
    assert.equal(derivedProperty(0x0378), 'UNASSIGNED');
    assert.equal(derivedProperty(0xe000), 'DISALLOWED'); // private use
    assert.equal(derivedProperty(0xd800), 'DISALLOWED'); // lone surrogate
  });

  test('applies contextual rules to the whole string', () => {
    assert.equal(usernameCaseMapped('l·l'), 'l·l');
    assert.throws(() => usernameCaseMapped('a·b'), JidError);
    assert.equal(usernameCaseMapped('\u0915\u094d\u200d\u0937'), '\u0915\u094d\u200d\u0937'); // ZWJ after virama
    assert.throws(() => usernameCaseMapped('a\u200db'), JidError);
    assert.throws(() => usernameCaseMapped('\u0661\u06f1'), JidError); // mixed Arabic-Indic digit sets
    assert.equal(usernameCaseMapped('\u30fb\u30ab'), '\u30fb\u30ab');
    assert.throws(() => usernameCaseMapped('a\u30fbb'), JidError);
  });
});

describe('RFC 5893 Bidi Rule', () => {
  test('leaves left-to-right strings alone', () => {
    assert.ok(satisfiesBidiRule(cps('abc-1')));
  });
  test('accepts a right-to-left string ending in a digit', () => {
    assert.ok(satisfiesBidiRule(cps('שלום1')));
    assert.equal(usernameCaseMapped('שלום'), 'שלום');
  });
  test('rejects mixing left-to-right letters into a right-to-left string', () => {
    assert.ok(!satisfiesBidiRule(cps('abcש')));
    assert.throws(() => usernameCaseMapped('abcש'), JidError);
  });
  test('rejects European and Arabic digits together in a right-to-left string', () => {
    assert.ok(!satisfiesBidiRule(cps('\u05d01\u0661')));
  });
  test('rejects a right-to-left string starting with a digit', () => {
    assert.ok(!satisfiesBidiRule(cps('1\u05d0')));
  });
});
