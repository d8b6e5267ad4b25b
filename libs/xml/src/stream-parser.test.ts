import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type Element, StreamParser, XmlError } from './index.ts';
import { FOOTER, HEADER, outcome, parseChunks, record } from './test-helpers.ts';

const inStream = (body: string) => HEADER + body + FOOTER;

describe('stream events', () => {
  test('emits the header, each depth-1 element and the stream end', () => {
    const r = parseChunks([
      inStream("<stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></stream:features><presence/>"),
    ]);
    assert.deepEqual(r.events, [
      'start stream:stream',
      "stanza <stream:features xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></stream:features>",
      "stanza <presence xmlns='jabber:client'/>",
      'end',
    ]);
  });

  test('passes the header attributes including namespace declarations', () => {
    let attrs: Record<string, string> = {};
    const p = new StreamParser({
      onStreamStart: (_n, a) => {
        attrs = a;
      },
      onStanza: () => {},
      onStreamEnd: () => {},
      onError: (e) => assert.fail(e.message),
    });
    p.write(HEADER);
    assert.deepEqual(attrs, {
      xmlns: 'jabber:client',
      'xmlns:stream': 'http://etherx.jabber.org/streams',
      to: 'example.com',
      version: '1.0',
    });
  });

  test('emitted stanzas are self-contained: no parent, inherited namespaces copied', () => {
    const stanzas: Element[] = [];
    const p = new StreamParser({
      onStreamStart: () => {},
      onStanza: (el) => stanzas.push(el),
      onStreamEnd: () => {},
      onError: (e) => assert.fail(e.message),
    });
    p.write(
      "<stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams' xmlns:db='jabber:server:dialback' xmlns:unused='urn:x'>" +
        "<message><body>hi</body></message><db:result from='a' to='b'>key</db:result><iq xmlns='jabber:client' type='get'/>" +
        "<x:y xmlns:x='urn:own'/>",
    );
    const [message, result, iq, own] = stanzas;
    assert.equal(message!.parent, null);
    assert.equal(message!.getNS(), 'jabber:server');
    assert.equal(message!.getChild('body')!.getNS(), 'jabber:server');
    assert.equal(result!.getNS(), 'jabber:server:dialback');
    assert.deepEqual(result!.attrs, {
      from: 'a',
      to: 'b',
      xmlns: 'jabber:server',
      'xmlns:db': 'jabber:server:dialback',
    });
    assert.equal(iq!.getNS(), 'jabber:client', 'an own default namespace is kept');
    assert.deepEqual(own!.attrs, { 'xmlns:x': 'urn:own', xmlns: 'jabber:server' });
  });

  test('prefixed attributes declared on the root are copied too', () => {
    const r = parseChunks([
      "<stream:stream xmlns:stream='http://etherx.jabber.org/streams' xmlns:p='urn:p'><a><b p:k='v'/></a></stream:stream>",
    ]);
    assert.equal(r.events[1], "stanza <a xmlns:p='urn:p'><b p:k='v'/></a>");
  });

  test('whitespace keepalives between stanzas are accepted silently', () => {
    const r = parseChunks([HEADER, ' ', '\n', '\r\n\t ', '<presence/>', '   ', FOOTER]);
    assert.deepEqual(r.events, ['start stream:stream', "stanza <presence xmlns='jabber:client'/>", 'end']);
  });

  test('text between stanzas is not-well-formed', () => {
    assert.equal(outcome(inStream('hello')), 'not-well-formed');
    assert.equal(outcome(inStream('&amp;')), 'not-well-formed');
    assert.equal(outcome(inStream('<![CDATA[ ]]>')), 'not-well-formed');
  });

  test('text before the header is not-well-formed', () => {
    assert.equal(outcome(`x${HEADER}`), 'not-well-formed');
  });

  test('a self-closing header starts and ends the stream', () => {
    const r = parseChunks(["<stream:stream xmlns:stream='http://etherx.jabber.org/streams'/>"]);
    assert.deepEqual(r.events, ['start stream:stream', 'end']);
  });

  test('data after the stream end is not-well-formed, whitespace is fine', () => {
    assert.equal(outcome(`${inStream('')}  \n`), 'ok');
    assert.equal(outcome(`${inStream('')}<presence/>`), 'not-well-formed');
  });

  test('a mismatched or unexpected end tag is not-well-formed', () => {
    assert.equal(outcome(inStream('<message></iq>')), 'not-well-formed');
    assert.equal(outcome(`${HEADER}</stream:other>`), 'not-well-formed');
  });

  test('end() reports an unfinished stream, and nothing for an empty or finished one', () => {
    assert.deepEqual(parseChunks([HEADER]).events, ['start stream:stream', 'error not-well-formed']);
    assert.deepEqual(parseChunks([`${HEADER}<message>`]).events.at(-1), 'error not-well-formed');
    assert.deepEqual(parseChunks([`${HEADER}<mess`]).events.at(-1), 'error not-well-formed');
    assert.deepEqual(parseChunks([]).events, []);
    assert.deepEqual(parseChunks(['  ']).events, []);
    assert.deepEqual(parseChunks([inStream('')]).events, ['start stream:stream', 'end']);
  });

  test('onError is called once and nothing is emitted afterwards', () => {
    const r = record();
    r.parser.write(`${HEADER}<!-- a -->`);
    r.parser.write('<presence/><!-- b -->');
    r.parser.end();
    assert.deepEqual(r.events, ['start stream:stream', 'error restricted-xml']);
    assert.ok(r.errors[0] instanceof XmlError);
    assert.equal(r.errors[0].message, 'comments are not allowed');
  });

  test('text is decoded: predefined entities, character references, CDATA and line ends', () => {
    const r = parseChunks([
      inStream(
        '<message><body>&lt;&gt;&amp;&quot;&apos;&#65;&#x42;&#x1F600;<![CDATA[<&]]>a\r\nb\rc&#13;</body></message>',
      ),
    ]);
    assert.equal(r.events[1], "stanza <message xmlns='jabber:client'><body>&lt;&gt;&amp;\"'AB😀&lt;&amp;a\nb\nc&#13;</body></message>");
  });

  test('attribute values are normalised and decoded', () => {
    const r = parseChunks([inStream(`<a v='x\ty\r\nz&#10;&amp;"' w="'"/>`)]);
    assert.equal(r.events[1], `stanza <a v='x y z&#10;&amp;&quot;' w='&apos;' xmlns='jabber:client'/>`);
  });

  test('an XML declaration is allowed at the very start only', () => {
    assert.equal(outcome(`<?xml version='1.0'?>${inStream('')}`), 'ok');
    assert.equal(outcome(`<?xml version="1.0" encoding="UTF-8" standalone='yes' ?>${inStream('')}`), 'ok');
    assert.equal(outcome(`\uFEFF<?xml version='1.0'?>${inStream('')}`), 'ok');
    assert.equal(outcome(` <?xml version='1.0'?>${inStream('')}`), 'restricted-xml');
    assert.equal(outcome(`<?xml version='1.0'?><?xml version='1.0'?>${inStream('')}`), 'restricted-xml');
    assert.equal(outcome(`<?xml version='1.0' bogus='1'?>${inStream('')}`), 'not-well-formed');
  });

  test('an XML declaration naming another encoding is unsupported-encoding', () => {
    assert.equal(outcome(`<?xml version='1.0' encoding='ISO-8859-1'?>${inStream('')}`), 'unsupported-encoding');
  });

  test('invalid UTF-8 is unsupported-encoding, also when split or truncated', () => {
    const head = Buffer.from(`${HEADER}<message><body>`);
    assert.equal(parseChunks([head, Buffer.from([0xff])]).errors[0]?.condition, 'unsupported-encoding');
    assert.equal(parseChunks([head, Buffer.from([0xc0, 0x80])]).errors[0]?.condition, 'unsupported-encoding');
    assert.equal(parseChunks([head, Buffer.from([0xed, 0xa0]), Buffer.from([0x80])]).errors[0]?.condition, 'unsupported-encoding');
    assert.equal(parseChunks([head, Buffer.from([0xe2, 0x82])]).errors[0]?.condition, 'unsupported-encoding');
  });

  test('control characters and noncharacters are not-well-formed, even as references', () => {
    assert.equal(outcome(inStream('<a>\u0001</a>')), 'not-well-formed');
    assert.equal(outcome(inStream("<a b='\u0000'/>")), 'not-well-formed');
    assert.equal(outcome(inStream('<a>\uFFFE</a>')), 'not-well-formed');
    assert.equal(outcome(inStream('<a>&#0;</a>')), 'not-well-formed');
    assert.equal(outcome(inStream('<a>&#xD800;</a>')), 'not-well-formed');
    assert.equal(outcome(inStream('<a>&#x110000;</a>')), 'not-well-formed');
    assert.equal(outcome(inStream('<a>&#xFFFF;</a>')), 'not-well-formed');
    assert.equal(outcome(inStream('<a>&#x9;&#xA;&#xD;&#x10FFFF;</a>')), 'ok');
  });

  test('malformed markup is not-well-formed', () => {
    for (const bad of [
      '<a b=c/>',
      "<a b='1'c='2'/>",
      "<a b='1' b='2'/>",
      '<a b/>',
      '<1a/>',
      '<a/ >',
      '<a></a >x</a>',
      '<a>]]></a>',
      "<a b='<'/>",
      '<a>& </a>',
      '<a>&#x;</a>',
      '<a>&;</a>',
      '< a/>',
      '<a:/>',
      '<:a/>',
      '<a:b:c/>',
      '<a><![CDAT[x]]></a>',
      '<a><!x></a>',
    ]) {
      assert.equal(outcome(inStream(bad)), 'not-well-formed', bad);
    }
  });

  test('an entity reference that never ends is not-well-formed', () => {
    assert.equal(outcome(inStream(`<a>&${'a'.repeat(40)}</a>`)), 'not-well-formed');
  });

  test('CDATA sections are accepted as text', () => {
    const r = parseChunks([inStream('<a><![CDATA[]]]]><![CDATA[>]]></a>')]);
    assert.equal(r.events[1], "stanza <a xmlns='jabber:client'>]]&gt;</a>");
  });

  test('handler exceptions propagate and stop the parser', () => {
    let stanzas = 0;
    const p = new StreamParser({
      onStreamStart: () => {},
      onStanza: () => {
        stanzas++;
        throw new Error('handler bug');
      },
      onStreamEnd: () => {},
      onError: () => {},
    });
    assert.throws(() => p.write(`${HEADER}<a/><b/>`), /handler bug/);
    p.write('<c/>');
    assert.equal(stanzas, 1);
  });

  test('a write from inside a handler is processed after the current chunk', () => {
    const seen: string[] = [];
    const p: StreamParser = new StreamParser({
      onStreamStart: () => {},
      onStanza: (el) => {
        seen.push(el.name);
        if (el.name === 'a') p.write('<c/>');
      },
      onStreamEnd: () => {},
      onError: (e) => assert.fail(e.message),
    });
    p.write(`${HEADER}<a/><b/>`);
    assert.deepEqual(seen, ['a', 'b', 'c']);
  });
});

describe('restricted XML (RFC 6120 §11.1)', () => {
  const cases: Array<[string, string]> = [
    ['a DOCTYPE before the header', `<!DOCTYPE stream:stream>${inStream('')}`],
    ['a DOCTYPE with an internal subset', `<?xml version='1.0'?><!DOCTYPE a [<!ENTITY x 'y'>]>${inStream('')}`],
    ['an entity declaration inside the stream', inStream("<!ENTITY x 'boom'>")],
    ['an element declaration inside a stanza', inStream('<a><!ELEMENT a ANY></a>')],
    ['a comment between stanzas', inStream('<!-- hi -->')],
    ['a comment inside a stanza', inStream('<message><!-- hi --></message>')],
    ['a comment before the header', `<!---->${inStream('')}`],
    ['a processing instruction inside a stanza', inStream('<message><?php echo 1 ?></message>')],
    ['a processing instruction between stanzas', inStream('<?foo?>')],
    ['an XML declaration inside the stream', inStream("<?xml version='1.0'?>")],
    ['an undefined entity in text', inStream('<message><body>&nbsp;</body></message>')],
    ['an undefined entity in an attribute', inStream("<message to='&xxe;'/>")],
    ['an external entity name in text', inStream('<a>&ext:x;</a>')],
  ];
  for (const [what, stream] of cases) {
    test(`rejects ${what} with restricted-xml`, () => {
      assert.equal(outcome(stream), 'restricted-xml');
    });
  }
});

describe('namespaces', () => {
  test('an undeclared element prefix is invalid-namespace', () => {
    assert.equal(outcome(inStream('<foo:bar/>')), 'invalid-namespace');
    assert.equal(outcome("<stream:stream xmlns='jabber:client'>"), 'invalid-namespace');
  });

  test('an undeclared attribute prefix is invalid-namespace', () => {
    assert.equal(outcome(inStream("<a foo:b='1'/>")), 'invalid-namespace');
  });

  test('a prefix declared on an ancestor or the element itself resolves; siblings do not leak', () => {
    assert.equal(outcome(inStream("<a xmlns:p='urn:p'><p:b><p:c p:d='1'/></p:b></a>")), 'ok');
    assert.equal(outcome(inStream("<a xmlns:p='urn:p'/><p:b/>")), 'invalid-namespace');
    assert.equal(outcome(inStream("<a><b xmlns:p='urn:p'/><p:c/></a>")), 'invalid-namespace');
  });

  test('the xml prefix is always bound', () => {
    assert.equal(outcome(inStream("<message xml:lang='en'/>")), 'ok');
  });

  test('malformed namespace declarations are invalid-namespace', () => {
    assert.equal(outcome(inStream("<a xmlns:p=''/>")), 'invalid-namespace');
    assert.equal(outcome(inStream("<a xmlns:xmlns='urn:x'/>")), 'invalid-namespace');
    assert.equal(outcome(inStream("<a xmlns:xml='urn:x'/>")), 'invalid-namespace');
    assert.equal(outcome(inStream("<a xmlns='http://www.w3.org/2000/xmlns/'/>")), 'invalid-namespace');
    assert.equal(outcome(inStream('<xmlns:a/>')), 'invalid-namespace');
  });

  test('non-ASCII names are accepted when they are XML names', () => {
    assert.equal(outcome(inStream("<café ñ='1'/>")), 'ok');
    assert.equal(outcome(inStream('<a\u00D7/>')), 'not-well-formed');
  });
});

describe('limits', () => {
  test('a stanza over maxStanzaBytes is a policy-violation, counted in bytes', () => {
    // 'é' is one UTF-16 unit but two UTF-8 bytes.
    const stanza = (n: number) => `<m>${'é'.repeat(n)}</m>`;
    const size = (n: number) => Buffer.byteLength(stanza(n));
    assert.equal(outcome(inStream(stanza(100)), { maxStanzaBytes: size(100) }), 'ok');
    assert.equal(outcome(inStream(stanza(100)), { maxStanzaBytes: size(100) - 1 }), 'policy-violation');
  });

  test('the stanza limit counts tags, attributes and CDATA', () => {
    const stanza = `<m a='${'ü'.repeat(50)}'><![CDATA[${'€'.repeat(30)}]]></m>`;
    const size = Buffer.byteLength(stanza);
    assert.equal(outcome(inStream(stanza), { maxStanzaBytes: size }), 'ok');
    assert.equal(outcome(inStream(stanza), { maxStanzaBytes: size - 1 }), 'policy-violation');
  });

  test('the stanza limit applies per stanza, not per stream', () => {
    const stanza = `<m>${'x'.repeat(90)}</m>`;
    assert.equal(outcome(inStream(stanza.repeat(50)), { maxStanzaBytes: 100 }), 'ok');
  });

  test('an oversized stanza is refused while it arrives, before it completes', () => {
    const r = record({ maxStanzaBytes: 1000 });
    r.parser.write(`${HEADER}<message><body>`);
    for (let i = 0; i < 20 && r.errors.length === 0; i++) r.parser.write('x'.repeat(100));
    assert.deepEqual(r.events, ['start stream:stream', 'error policy-violation']);
  });

  test('an unterminated tag dribbled one byte at a time is refused at the limit', () => {
    const r = record({ maxStanzaBytes: 2000 });
    r.parser.write(`${HEADER}<message to='`);
    let written = 0;
    while (r.errors.length === 0 && written < 5000) {
      r.parser.write('a');
      written++;
    }
    assert.equal(r.errors[0]?.condition, 'policy-violation');
    assert.ok(written <= 2000, `refused after ${written} bytes`);
  });

  test('an unclosed stream header over maxStreamHeaderBytes is a policy-violation', () => {
    const r = record({ maxStreamHeaderBytes: 500 });
    r.parser.write("<stream:stream xmlns:stream='http://etherx.jabber.org/streams' junk='");
    for (let i = 0; i < 10; i++) r.parser.write('y'.repeat(100));
    assert.deepEqual(r.events, ['error policy-violation']);
    assert.equal(outcome(`${' '.repeat(9000)}${inStream('')}`), 'policy-violation');
    assert.equal(outcome(inStream(''), { maxStreamHeaderBytes: HEADER.length }), 'ok');
  });

  test('nesting deeper than maxDepth is a policy-violation', () => {
    const nest = (d: number) => '<a>'.repeat(d) + '</a>'.repeat(d);
    assert.equal(outcome(inStream(nest(32))), 'ok');
    assert.equal(outcome(inStream(nest(33))), 'policy-violation');
    assert.equal(outcome(inStream(nest(4)), { maxDepth: 3 }), 'policy-violation');
  });

  test('more than maxAttributes attributes on one element is a policy-violation', () => {
    const el = (n: number) => `<a ${Array.from({ length: n }, (_, i) => `a${i}='1'`).join(' ')}/>`;
    assert.equal(outcome(inStream(el(64))), 'ok');
    assert.equal(outcome(inStream(el(65))), 'policy-violation');
    assert.equal(outcome(inStream(el(3)), { maxAttributes: 2 }), 'policy-violation');
  });

  test('a stanza with more than maxStanzaElements elements is a policy-violation', () => {
    const stanza = (n: number) => `<m>${'<a/>'.repeat(n - 1)}</m>`;
    assert.equal(outcome(inStream(stanza(10).repeat(3)), { maxStanzaElements: 10 }), 'ok');
    assert.equal(outcome(inStream(stanza(11)), { maxStanzaElements: 10 }), 'policy-violation');
    assert.equal(outcome(inStream(stanza(16384))), 'ok');
    assert.equal(outcome(inStream(stanza(16385))), 'policy-violation');
  });

  test('a name longer than maxNameLength is a policy-violation', () => {
    assert.equal(outcome(inStream(`<${'n'.repeat(20)}/>`), { maxNameLength: 20 }), 'ok');
    assert.equal(outcome(inStream(`<${'n'.repeat(21)}/>`), { maxNameLength: 20 }), 'policy-violation');
  });
});

describe('chunking', () => {
  const sample = Buffer.from(
    `<?xml version='1.0'?>${HEADER}<message to='bob@example.com' type="chat" id='a&amp;b'>` +
      `<body>Grüße 😀 &lt;&#x41;\r\n<![CDATA[c]]d]]></body><x:y xmlns:x='urn:x' x:v='é'/></message>  ` +
      `<stream:features/><presence/>${FOOTER}`,
  );
  const whole = parseChunks([sample]);

  test('the sample parses cleanly as a whole', () => {
    assert.equal(whole.errors.length, 0);
    assert.equal(whole.events.length, 5);
  });

  test('splitting at every byte offset (including inside multi-byte characters) changes nothing', () => {
    for (let i = 1; i < sample.length; i++) {
      const r = parseChunks([sample.subarray(0, i), sample.subarray(i)]);
      assert.deepEqual(r.events, whole.events, `split at ${i}`);
    }
  });

  test('splitting at every pair of byte offsets changes nothing', () => {
    for (let i = 1; i < sample.length; i += 3) {
      for (let j = i + 1; j < sample.length; j += 5) {
        const r = parseChunks([sample.subarray(0, i), sample.subarray(i, j), sample.subarray(j)]);
        assert.deepEqual(r.events, whole.events, `split at ${i}, ${j}`);
      }
    }
  });

  test('one byte at a time changes nothing', () => {
    const chunks = Array.from(sample, (b) => Uint8Array.of(b));
    assert.deepEqual(parseChunks(chunks).events, whole.events);
  });

  test('string chunks may split a surrogate pair', () => {
    const text = `${HEADER}<a>x😀y</a>${FOOTER}`;
    const at = text.indexOf('😀') + 1;
    assert.deepEqual(parseChunks([text.slice(0, at), text.slice(at)]).events, parseChunks([text]).events);
  });

  test('a lone surrogate in a string chunk is not-well-formed', () => {
    assert.equal(parseChunks([`${HEADER}<a>\uD800x</a>`]).errors[0]?.condition, 'not-well-formed');
  });
});

describe('reset()', () => {
  test('starts a new stream after STARTTLS with a fresh header', () => {
    const r = record();
    r.parser.write(`${HEADER}<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>`);
    r.parser.reset();
    r.parser.write(`<?xml version='1.0'?>${HEADER}<presence/>`);
    assert.deepEqual(r.events, [
      'start stream:stream',
      "stanza <starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>",
      'start stream:stream',
      "stanza <presence xmlns='jabber:client'/>",
    ]);
  });

  test('called from onStanza, drops the rest of the chunk (no STARTTLS command injection)', () => {
    const events: string[] = [];
    const p: StreamParser = new StreamParser({
      onStreamStart: () => events.push('start'),
      onStanza: (el) => {
        events.push(el.name);
        if (el.name === 'starttls') p.reset();
      },
      onStreamEnd: () => events.push('end'),
      onError: (e) => events.push(`error ${e.condition}`),
    });
    p.write(`${HEADER}<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/><message to='evil'/>`);
    p.write(`${HEADER}<presence/>`);
    assert.deepEqual(events, ['start', 'starttls', 'start', 'presence']);
  });

  test('clears an error and a partial UTF-8 character', () => {
    const r = record();
    r.parser.write(`${HEADER}<!-- -->`);
    r.parser.reset();
    r.parser.write(Buffer.from([0xc3]));
    r.parser.reset();
    r.parser.write(`${HEADER}<a>é</a>`);
    assert.deepEqual(r.events, [
      'start stream:stream',
      'error restricted-xml',
      'start stream:stream',
      "stanza <a xmlns='jabber:client'>é</a>",
    ]);
  });
});
