import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseFragment, XmlError } from './index.ts';

function conditionOf(text: string, limits?: Parameters<typeof parseFragment>[1]): string {
  try {
    parseFragment(text, limits);
    return 'ok';
  } catch (err) {
    assert.ok(err instanceof XmlError, String(err));
    return err.condition;
  }
}

describe('parseFragment', () => {
  test('parses one element with its namespace, children and text', () => {
    const el = parseFragment(
      "<message xmlns='jabber:client' to='bob@example.com'><body>hi &amp; bye</body><x xmlns='urn:x'/></message>",
    );
    assert.equal(el.name, 'message');
    assert.equal(el.parent, null);
    assert.equal(el.getNS(), 'jabber:client');
    assert.equal(el.getChildText('body'), 'hi & bye');
    assert.equal(el.getChild('body')!.parent, el);
    assert.equal(el.getChild('x', 'urn:x')!.getNS(), 'urn:x');
  });

  test('parses a WebSocket framing element (RFC 7395 §3.3.3)', () => {
    const el = parseFragment(
      "<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='example.com' version='1.0'/>",
    );
    assert.ok(el.is('open', 'urn:ietf:params:xml:ns:xmpp-framing'));
  });

  test('allows surrounding whitespace and a leading XML declaration', () => {
    assert.equal(parseFragment("  <a/>\n").name, 'a');
    assert.equal(parseFragment("<?xml version='1.0'?><a/>").name, 'a');
  });

  test('rejects empty input, text, two elements and an unfinished element', () => {
    assert.equal(conditionOf(''), 'not-well-formed');
    assert.equal(conditionOf('   '), 'not-well-formed');
    assert.equal(conditionOf('text'), 'not-well-formed');
    assert.equal(conditionOf('<a/><b/>'), 'not-well-formed');
    assert.equal(conditionOf('<a/>x'), 'not-well-formed');
    assert.equal(conditionOf('<a><b></a>'), 'not-well-formed');
    assert.equal(conditionOf('<a'), 'not-well-formed');
    assert.equal(conditionOf("<a b='1"), 'not-well-formed');
    assert.equal(conditionOf('<a>&amp</a>'), 'not-well-formed');
  });

  test('rejects restricted constructs', () => {
    assert.equal(conditionOf('<!DOCTYPE a><a/>'), 'restricted-xml');
    assert.equal(conditionOf('<a><!-- c --></a>'), 'restricted-xml');
    assert.equal(conditionOf('<a><?pi x?></a>'), 'restricted-xml');
    assert.equal(conditionOf('<a>&lol;</a>'), 'restricted-xml');
  });

  test('requires prefixes to be declared inside the fragment', () => {
    assert.equal(conditionOf("<stream:error xmlns:stream='http://etherx.jabber.org/streams'/>"), 'ok');
    assert.equal(conditionOf('<stream:error/>'), 'invalid-namespace');
  });

  test('applies the stanza size, depth and attribute limits', () => {
    assert.equal(conditionOf(`<a>${'é'.repeat(10)}</a>`, { maxStanzaBytes: 27 }), 'ok');
    assert.equal(conditionOf(`<a>${'é'.repeat(10)}</a>`, { maxStanzaBytes: 26 }), 'policy-violation');
    assert.equal(conditionOf('x'.repeat(100), { maxStanzaBytes: 50 }), 'policy-violation');
    assert.equal(conditionOf('<a><b/></a>', { maxDepth: 2 }), 'ok');
    assert.equal(conditionOf('<a><b><c/></b></a>', { maxDepth: 2 }), 'policy-violation');
    assert.equal(conditionOf("<a x='1' y='2'/>", { maxAttributes: 1 }), 'policy-violation');
    assert.equal(conditionOf('<a><b/></a>', { maxStanzaElements: 2 }), 'ok');
    assert.equal(conditionOf('<a><b/><c/></a>', { maxStanzaElements: 2 }), 'policy-violation');
  });

  test('rejects lone surrogates in the input string', () => {
    assert.equal(conditionOf('<a>\uDC00</a>'), 'not-well-formed');
    assert.equal(conditionOf("<a b='\uD800'/>"), 'not-well-formed');
    assert.equal(conditionOf('<a>\uD800</a>'), 'not-well-formed');
    assert.equal(conditionOf('<a>😀</a>'), 'ok');
  });
});
