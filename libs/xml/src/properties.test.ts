import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { isXmlChar } from './chars.ts';
import { type Element, parseFragment, StreamParser, xml } from './index.ts';
import { FOOTER, HEADER } from './test-helpers.ts';

/** XML_PROPERTY_RUNS_SCALE=20 runs every property 20 times longer (for soak runs, not CI). */
const SCALE = Number(process.env.XML_PROPERTY_RUNS_SCALE ?? 1);

/** Splits bytes at the given (arbitrary, possibly repeated or out-of-range) offsets. */
function chunk(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let prev = 0;
  for (const p of points) {
    out.push(bytes.subarray(prev, p));
    prev = p;
  }
  out.push(bytes.subarray(prev));
  return out;
}

interface Run {
  stanzas: Element[];
  errors: number;
  eventsAfterError: number;
  ended: boolean;
}

function run(chunks: Array<Uint8Array | string>): Run {
  const r: Run = { stanzas: [], errors: 0, eventsAfterError: 0, ended: false };
  const after = () => {
    if (r.errors > 0) r.eventsAfterError++;
  };
  const p = new StreamParser(
    {
      onStreamStart: after,
      onStanza: (el) => {
        after();
        r.stanzas.push(el);
      },
      onStreamEnd: () => {
        after();
        r.ended = true;
      },
      onError: () => {
        r.errors++;
      },
    },
    { maxStanzaBytes: 4096, maxStreamHeaderBytes: 1024, maxDepth: 8 },
  );
  for (const c of chunks) p.write(c);
  p.end();
  return r;
}

/** Any string made of characters XML 1.0 can carry (others replaced). */
const xmlText = fc
  .string({ unit: 'binary', maxLength: 12 })
  .map((s) => Array.from(s, (ch) => (isXmlChar(ch.codePointAt(0)!) ? ch : '?')).join(''));
const textish = fc.oneof(xmlText, fc.constantFrom('', ' ', '\r\n', ']]>', '&amp;', "'\"", '<b>', '\t'));
const elName = fc.constantFrom('a', 'message', 'body', 'x-y', 'n.1', '_u', 'café', '時間');
const attrName = fc.constantFrom('id', 'to', 'type', 'k-1', 'é', 'xml:lang');

function tree(depth: number): fc.Arbitrary<Element> {
  const child: fc.Arbitrary<Element | string> = depth > 0 ? fc.oneof(textish, tree(depth - 1)) : textish;
  return fc
    .record({
      name: elName,
      attrs: fc.dictionary(attrName, textish, { maxKeys: 3 }),
      children: fc.array(child, { maxLength: 3 }),
    })
    .map(({ name, attrs, children }) => xml(name, attrs, ...children));
}

/** Tokens that steer random input into the parser's interesting states. */
const token = fc.constantFrom(
  HEADER,
  FOOTER,
  "<?xml version='1.0'?>",
  '<',
  '>',
  '/>',
  '</',
  'a',
  'p:a',
  " xmlns:p='urn:p'",
  " b='1'",
  ' c="&amp;"',
  "'",
  '"',
  '=',
  ' ',
  '\r\n',
  '&',
  '&lt;',
  '&#x41;',
  '&#0;',
  ';',
  '<![CDATA[',
  ']]>',
  '<!--',
  '-->',
  '<!DOCTYPE',
  '<?',
  '?>',
  'é',
  '😀',
  '\u0000',
  '<message>',
  '</message>',
  '<body>',
  '</body>',
);
const tokenStream = fc.array(token, { maxLength: 40 }).map((ts) => ts.join(''));

describe('properties', () => {
  test('arbitrary bytes in arbitrary chunks never throw and report at most one error', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), fc.array(fc.nat(), { maxLength: 8 }), (bytes, cuts) => {
        const r = run(chunk(bytes, cuts));
        assert.ok(r.errors <= 1);
        assert.equal(r.eventsAfterError, 0);
      }),
      { numRuns: 400 * SCALE },
    );
  });

  test('token soup in arbitrary chunks never throws, and every emitted stanza stands alone', () => {
    fc.assert(
      fc.property(tokenStream, fc.array(fc.nat(), { maxLength: 8 }), (text, cuts) => {
        const r = run(chunk(Buffer.from(text), cuts));
        assert.ok(r.errors <= 1);
        assert.equal(r.eventsAfterError, 0);
        for (const el of r.stanzas) {
          assert.equal(el.parent, null);
          assert.equal(parseFragment(el.toString()).toString(), el.toString());
        }
      }),
      { numRuns: 600 * SCALE },
    );
  });

  test('arbitrary strings given to parseFragment either parse or throw XmlError', () => {
    fc.assert(
      fc.property(fc.oneof(tokenStream, fc.string({ unit: 'binary', maxLength: 200 })), (text) => {
        try {
          const el = parseFragment(text);
          assert.equal(parseFragment(el.toString()).toString(), el.toString());
        } catch (err) {
          assert.equal((err as Error).name, 'XmlError');
        }
      }),
      { numRuns: 600 * SCALE },
    );
  });

  test('parse(serialize(tree)) round-trips', () => {
    fc.assert(
      fc.property(tree(3), (el) => {
        const s = el.toString();
        assert.equal(parseFragment(s).toString(), s);
      }),
      { numRuns: 400 * SCALE },
    );
  });

  test('streams of serialized trees round-trip through any chunking', () => {
    fc.assert(
      fc.property(fc.array(tree(2), { maxLength: 4 }), fc.array(fc.nat(), { maxLength: 10 }), (els, cuts) => {
        const bytes = Buffer.from(HEADER + els.map((e) => e.toString()).join(' ') + FOOTER);
        const r = run(chunk(bytes, cuts));
        assert.equal(r.errors, 0);
        assert.ok(r.ended);
        const expected = els.map((e) => e.clone().setAttr('xmlns', 'jabber:client').toString());
        assert.deepEqual(
          r.stanzas.map((s) => s.toString()),
          expected,
        );
      }),
      { numRuns: 300 * SCALE },
    );
  });

  test('every corruption of a well-formed stream is reported, never silently accepted', () => {
    const corruption = fc.constantFrom('<!--', '<!DOCTYPE x>', '&foo;', '<', 'truncate');
    fc.assert(
      fc.property(
        fc.array(tree(2), { minLength: 1, maxLength: 3 }),
        corruption,
        fc.nat(),
        fc.array(fc.nat(), { maxLength: 6 }),
        (els, kind, at, cuts) => {
          const good = `<?xml version='1.0'?>${HEADER}${els.map((e) => e.toString()).join('')}${FOOTER}`;
          const chars = Array.from(good);
          // Truncation keeps at least one character: an empty input is not a corrupted stream.
          const pos = kind === 'truncate' ? 1 + (at % (chars.length - 1)) : at % (chars.length + 1);
          const bad =
            kind === 'truncate'
              ? chars.slice(0, pos).join('')
              : chars.slice(0, pos).join('') + kind + chars.slice(pos).join('');
          const r = run(chunk(Buffer.from(bad), cuts));
          assert.equal(r.errors, 1, `no error for ${JSON.stringify(bad)}`);
        },
      ),
      { numRuns: 1500 * SCALE },
    );
  });
});
