import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Element, escapeAttr, escapeText, parseFragment, xml } from './index.ts';

describe('Element', () => {
  test('the builder returns the child from c() and climbs with up()', () => {
    const msg = new Element('message', { to: 'bob@example.com', type: 'chat' })
      .c('body')
      .t('hi')
      .up()
      .c('active', { xmlns: 'http://jabber.org/protocol/chatstates' })
      .root();
    assert.equal(
      msg.toString(),
      "<message to='bob@example.com' type='chat'><body>hi</body><active xmlns='http://jabber.org/protocol/chatstates'/></message>",
    );
    assert.equal(msg.up(), msg);
  });

  test('the constructor omits undefined and null attributes and stringifies numbers', () => {
    const el = new Element('a', { x: undefined, y: null, n: 5, s: 's' });
    assert.deepEqual(el.attrs, { n: '5', s: 's' });
  });

  test('xml() skips null, undefined and false children and flattens arrays', () => {
    const el = xml('a', null, null, undefined, false, 'x', [xml('b'), 'y'], xml('c', { k: 1 }));
    assert.equal(el.toString(), "<a>x<b/>y<c k='1'/></a>");
    assert.equal(el.getChild('b')!.parent, el);
  });

  test('setAttr sets and removes attributes', () => {
    const el = new Element('a').setAttr('x', '1');
    assert.equal(el.attr('x'), '1');
    el.setAttr('x', undefined);
    assert.equal(el.attr('x'), undefined);
    assert.equal('x' in el.attrs, false);
  });

  test('attr() never returns inherited object members', () => {
    const el = new Element('a');
    assert.equal(el.attr('constructor'), undefined);
    assert.equal(el.attr('toString'), undefined);
    assert.equal(el.attr('__proto__'), undefined);
  });

  test('an attribute named __proto__ is stored as an own attribute', () => {
    const el = new Element('a', { __proto__: 'x' } as unknown as Record<string, string>);
    el.setAttr('__proto__', 'y');
    assert.equal(el.attr('__proto__'), 'y');
    assert.equal(Object.getPrototypeOf(el.attrs), Object.prototype);
    assert.equal(el.toString(), "<a __proto__='y'/>");
  });

  test('getNS resolves the default namespace and prefixes through parents', () => {
    const root = xml(
      'stream:stream',
      { xmlns: 'jabber:client', 'xmlns:stream': 'http://etherx.jabber.org/streams' },
      xml('message', null, xml('body')),
      xml('stream:error'),
    );
    assert.equal(root.getNS(), 'http://etherx.jabber.org/streams');
    assert.equal(root.getChild('message')!.getChild('body')!.getNS(), 'jabber:client');
    assert.equal(root.getChild('error')!.getNS(), 'http://etherx.jabber.org/streams');
    assert.equal(xml('a', { 'xml:lang': 'en' }).getNS(), undefined);
    assert.equal(xml('xml:a').getNS(), 'http://www.w3.org/XML/1998/namespace');
    assert.equal(xml('a', { xmlns: '' }).getNS(), undefined);
  });

  test('is() matches the local name, the qualified name and the namespace', () => {
    const el = parseFragment("<stream:error xmlns:stream='http://etherx.jabber.org/streams'/>");
    assert.ok(el.is('error'));
    assert.ok(el.is('stream:error'));
    assert.ok(el.is('error', 'http://etherx.jabber.org/streams'));
    assert.ok(!el.is('error', 'jabber:client'));
    assert.ok(!el.is('rror'));
    assert.ok(!el.is('am:error'));
  });

  test('child queries filter by name and namespace', () => {
    const iq = parseFragment(
      "<iq xmlns='jabber:client'><query xmlns='jabber:iq:roster'><item jid='a'/><item jid='b'/>x<group>g</group></query><query xmlns='other'/></iq>",
    );
    assert.equal(iq.getChild('query', 'other')!.attr('xmlns'), 'other');
    const q = iq.getChild('query', 'jabber:iq:roster')!;
    assert.deepEqual(
      q.getChildren('item').map((i) => i.attr('jid')),
      ['a', 'b'],
    );
    assert.equal(q.getChildren('item', 'other').length, 0);
    assert.equal(q.getChildElements().length, 3);
    assert.equal(q.getChildText('group'), 'g');
    assert.equal(q.getChildText('missing'), undefined);
    assert.equal(q.text(), 'x');
  });

  test('append re-parents and remove detaches', () => {
    const a = new Element('a');
    const b = new Element('b');
    const c = new Element('c');
    a.append(c, 'text');
    b.append(c);
    assert.equal(c.parent, b);
    assert.deepEqual(a.children, ['text']);
    b.remove(c);
    assert.equal(c.parent, null);
    assert.equal(b.children.length, 0);
  });

  test('clone is deep and detached', () => {
    const msg = xml('message', { to: 'x' }, xml('body', null, 'hi'));
    const body = msg.getChild('body')!;
    const copy = body.clone();
    assert.equal(copy.parent, null);
    assert.equal(copy.toString(), '<body>hi</body>');
    const full = msg.clone();
    full.getChild('body')!.t('!');
    full.setAttr('to', 'y');
    assert.equal(msg.toString(), "<message to='x'><body>hi</body></message>");
    assert.equal(full.getChild('body')!.parent, full);
  });

  test('toString escapes text and attribute values', () => {
    const el = xml('a', { q: `"'<>&\t\n\r` }, `<b>&'"\r]]>`);
    assert.equal(el.toString(), "<a q='&quot;&apos;&lt;&gt;&amp;&#9;&#10;&#13;'>&lt;b&gt;&amp;'\"&#13;]]&gt;</a>");
    assert.equal(parseFragment(el.toString()).toString(), el.toString());
    assert.equal(parseFragment(el.toString()).attr('q'), `"'<>&\t\n\r`);
  });
});

describe('escaping', () => {
  test('escapeText escapes markup characters and CR only', () => {
    assert.equal(escapeText('a&b<c>d"e\'f\r\n\t'), 'a&amp;b&lt;c&gt;d"e\'f&#13;\n\t');
    const plain = 'nothing to do';
    assert.equal(escapeText(plain), plain);
  });

  test('escapeAttr escapes quotes and whitespace that attribute normalisation would change', () => {
    assert.equal(escapeAttr(`a&<>"'\t\n\r`), 'a&amp;&lt;&gt;&quot;&apos;&#9;&#10;&#13;');
  });
});
