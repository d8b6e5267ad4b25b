import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { Jid, JidError, jid, parseJid, prepareDomainpart, prepareLocalpart, prepareResourcepart, tryParseJid } from './index.ts';

describe('RFC 7622 §3.5 examples', () => {
  const valid: Array<[string, string]> = [
    ['juliet@example.com', 'juliet@example.com'],
    ['juliet@example.com/foo', 'juliet@example.com/foo'],
    ['juliet@example.com/foo bar', 'juliet@example.com/foo bar'],
    ['juliet@example.com/foo@bar', 'juliet@example.com/foo@bar'],
    ['foo\\20bar@example.com', 'foo\\20bar@example.com'],
    ['fussball@example.com', 'fussball@example.com'],
    ['fußball@example.com', 'fußball@example.com'],
    ['π@example.com', 'π@example.com'],
    ['Σ@example.com/foo', 'σ@example.com/foo'],
    ['σ@example.com/foo', 'σ@example.com/foo'],
    ['ς@example.com/foo', 'ς@example.com/foo'],
    ['king@example.com/♚', 'king@example.com/♚'],
    ['example.com', 'example.com'],
    ['example.com/foobar', 'example.com/foobar'],
    ['a.example.com/b@example.net', 'a.example.com/b@example.net'],
  ];
  for (const [input, canonical] of valid) {
    test(`accepts ${input}`, () => {
      assert.equal(parseJid(input).toString(), canonical);
    });
  }

  const invalid = [
    '"juliet"@example.com',
    'foo bar@example.com',
    'juliet@example.com/',
    '@example.com/',
    'henryⅣ@example.com',
    '♚@example.com',
    'juliet@',
    '/foobar',
  ];
  for (const input of invalid) {
    test(`rejects ${input} with jid-malformed`, () => {
      assert.throws(
        () => parseJid(input),
        (err: unknown) => err instanceof JidError && err.condition === 'jid-malformed',
      );
    });
  }
});

describe('parsing', () => {
  test('splits the resource at the first slash before looking for the at sign', () => {
    const j = parseJid('a.example.com/b@example.net');
    assert.equal(j.local, null);
    assert.equal(j.domain, 'a.example.com');
    assert.equal(j.resource, 'b@example.net');
  });

  test('keeps later slashes inside the resource', () => {
    assert.equal(parseJid('u@example.com/a/b').resource, 'a/b');
  });

  test('rejects an empty localpart before the at sign', () => {
    assert.equal(tryParseJid('@example.com'), null);
  });

  test('tryParseJid returns null on bad input and a Jid on good input', () => {
    assert.equal(tryParseJid('foo bar@example.com'), null);
    assert.equal(tryParseJid(''), null);
    assert.ok(tryParseJid('juliet@example.com') instanceof Jid);
  });
});

describe('preparation', () => {
  test('folds case in the localpart and the domainpart', () => {
    assert.equal(parseJid('Juliet@Example.COM').toString(), 'juliet@example.com');
  });

  test('keeps the case of the resourcepart', () => {
    assert.equal(parseJid('juliet@example.com/Balcony').resource, 'Balcony');
  });

  test('maps fullwidth characters in the localpart to their narrow forms', () => {
    assert.equal(prepareLocalpart('ＪＵＬＩＥＴ'), 'juliet');
  });

  test('does not width-map the resourcepart', () => {
    assert.equal(prepareResourcepart('ｆｕｌｌ'), 'ｆｕｌｌ');
  });

  test('does not fold a Cyrillic homoglyph into Latin', () => {
    const lookalike = parseJid('\u0430dmin@example.com');
    assert.equal(lookalike.local, '\u0430dmin');
    assert.equal(lookalike.equals(parseJid('admin@example.com')), false);
  });

  test('normalizes a decomposed localpart to NFC', () => {
    assert.equal(prepareLocalpart('e\u0301'), '\u00e9');
  });

  test('maps a non-ASCII space in the resourcepart to U+0020', () => {
    assert.equal(prepareResourcepart('a\u1680b'), 'a b');
  });

  test('rejects control characters in the resourcepart', () => {
    assert.throws(() => prepareResourcepart('a\tb'), JidError);
    assert.throws(() => prepareResourcepart('a\u0000b'), JidError);
  });

  test('rejects every character RFC 7622 forbids in a localpart', () => {
    for (const c of ['"', '&', "'", '/', ':', '<', '>', '@', ' ']) {
      assert.throws(() => prepareLocalpart(`a${c}b`), JidError, `accepted ${JSON.stringify(c)}`);
    }
  });

  test('rejects a fullwidth at sign that width mapping turns into a forbidden one', () => {
    assert.throws(() => prepareLocalpart('a＠b'), JidError);
  });

  test('rejects parts longer than 1023 octets after preparation', () => {
    assert.equal(prepareLocalpart('a'.repeat(1023)).length, 1023);
    assert.throws(() => prepareLocalpart('a'.repeat(1024)), JidError);
    assert.throws(() => prepareLocalpart('é'.repeat(512)), JidError); // 1024 octets
    assert.throws(() => prepareResourcepart('r'.repeat(1024)), JidError);
    assert.throws(() => parseJid(`u@example.com/${'r'.repeat(1024)}`), JidError);
    assert.throws(() => prepareDomainpart(`${'a'.repeat(63)}.`.repeat(16) + 'com'), JidError);
  });

  test('rejects a domain label longer than 63 octets', () => {
    assert.equal(prepareDomainpart(`${'a'.repeat(63)}.com`), `${'a'.repeat(63)}.com`);
    assert.throws(() => prepareDomainpart(`${'a'.repeat(64)}.com`), JidError);
  });
});

describe('domainparts', () => {
  test('converts an A-label to its U-label', () => {
    assert.equal(prepareDomainpart('xn--bcher-kva.example'), 'bücher.example');
    assert.equal(prepareDomainpart('BÜCHER.example'), 'bücher.example');
  });

  test('strips one trailing dot', () => {
    assert.equal(prepareDomainpart('example.com.'), 'example.com');
    assert.throws(() => prepareDomainpart('example.com..'), JidError);
  });

  test('accepts IPv4 and bracketed IPv6 literals', () => {
    assert.equal(prepareDomainpart('192.0.2.1'), '192.0.2.1');
    assert.equal(prepareDomainpart('[2001:DB8::1]'), '[2001:db8::1]');
    assert.throws(() => prepareDomainpart('[not-an-ip]'), JidError);
  });

  test('rejects non-LDH labels, bad A-labels and IPv4 shorthand', () => {
    for (const bad of ['exa_mple.com', '-ab.com', 'ab--cd.com', 'xn--zz.com', '0x7f.1', '1.2.3', 'a b.com', 'a@b.com']) {
      assert.throws(() => prepareDomainpart(bad), JidError, bad);
    }
  });
});

describe('the Jid value', () => {
  test('bare drops the resource and returns itself when there is none', () => {
    const full = parseJid('juliet@example.com/balcony');
    assert.equal(full.bare.toString(), 'juliet@example.com');
    assert.equal(full.isBare(), false);
    assert.equal(full.bare.isBare(), true);
    assert.equal(full.bare.bare, full.bare);
    assert.equal(full.bareString(), 'juliet@example.com');
  });

  test('withResource prepares the new resource', () => {
    const j = parseJid('Juliet@example.com').withResource('orchard\u2003tree');
    assert.equal(j.toString(), 'juliet@example.com/orchard tree');
    assert.throws(() => j.withResource(''), JidError);
  });

  test('jid() prepares each part and treats null as absent and empty as invalid', () => {
    assert.equal(jid('Romeo', 'Example.net', 'Home').toString(), 'romeo@example.net/Home');
    assert.equal(jid(null, 'example.net').toString(), 'example.net');
    assert.throws(() => jid('', 'example.net'), JidError);
    assert.throws(() => jid('romeo', 'example.net', ''), JidError);
  });

  test('equals compares prepared forms', () => {
    assert.ok(parseJid('JULIET@example.com/r').equals(parseJid('juliet@EXAMPLE.com/r')));
    assert.ok(!parseJid('juliet@example.com/r').equals(parseJid('juliet@example.com/R')));
  });
});

describe('properties', () => {
  test('parsing the canonical form of a JID gives the same JID', () => {
    const part = fc.string({ unit: 'binary', minLength: 1, maxLength: 12 });
    const domain = fc.constantFrom('example.com', 'Bücher.Example', 'xn--bcher-kva.example', '[::1]', '192.0.2.1');
    fc.assert(
      fc.property(part, domain, part, (local, d, resource) => {
        const j = tryParseJid(`${local}@${d}/${resource}`);
        if (j === null) return;
        assert.ok(parseJid(j.toString()).equals(j));
        assert.equal(prepareLocalpart(j.local!), j.local);
        assert.equal(prepareResourcepart(j.resource!), j.resource);
      }),
      { numRuns: 2000 },
    );
  });

  test('the ASCII shortcut agrees with full preparation', () => {
    fc.assert(
      // Without '@' and '/', the appended character stays in the localpart.
      fc.property(fc.string({ unit: 'binary-ascii', minLength: 1, maxLength: 12 }).filter((s) => !s.includes('@') && !s.includes('/')), (s) => {
        const viaAscii = tryParseJid(`${s}@example.com`)?.local ?? null;
        const viaFull = tryParseJid(`${s}\u00e9@example.com`)?.local ?? null;
        assert.equal(viaFull === null ? null : viaFull.slice(0, -1), viaAscii);
      }),
      { numRuns: 2000 },
    );
  });
});
