import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadModules } from '@parley/ext';
import { parseFragment } from '@parley/xml';
import { loadContentCorpus, safetyProblems } from '../../../tests/harness/content-safety.ts';
import { contentFilter, filterMessage, safeStyle, wordPattern } from './index.ts';

const msg = (inner: string) => parseFragment(`<message xmlns='jabber:client' from='a@x/r' to='b@x' type='chat'>${inner}</message>`, { maxStanzaBytes: 16 * 1024 * 1024 });
const opts = { maxBodyChars: 10_000, words: null };

describe('the corpus of known client-crashing payloads', () => {
  for (const entry of loadContentCorpus()) {
    test(`${entry.name}: ${entry.note}`, () => {
      const r = filterMessage(msg(entry.payload), opts);
      if (entry.refused) {
        assert.equal(r.kind, 'too-long');
        return;
      }
      const out = r.kind === 'cleaned' ? r.stanza.toString() : msg(entry.payload).toString();
      assert.deepEqual(safetyProblems(out), []);
    });
  }
});

test('ordinary messages pass untouched (no copy is made)', () => {
  for (const body of ['hello', 'Tiếng Việt có dấu', 'مرحبا بالعالم', 'नमस्ते दुनिया', '👩‍👩‍👧 family', 'tab\tand\nnewline']) {
    assert.equal(filterMessage(msg(`<body>${body}</body>`), opts).kind, 'same', body);
  }
});

test('bidi overrides and controls are removed, combining towers trimmed to 6 marks', () => {
  const r = filterMessage(msg(`<body>invoice_\u202Egpj.exe Z${'\u0301'.repeat(50)}\u0085</body>`), opts);
  assert.equal(r.kind, 'cleaned');
  if (r.kind !== 'cleaned') return;
  assert.equal(r.stanza.getChildText('body'), `invoice_gpj.exe Z${'\u0301'.repeat(6)}`);
  assert.deepEqual({ ...r.found }, { bidi: 1, control: 1, combining: 1, words: 0, xhtml: 0 });
});

test('XHTML-IM keeps the safe subset (XEP-0071 §7) and drops scripts, handlers and unsafe links (§8)', () => {
  const html = `<html xmlns='http://jabber.org/protocol/xhtml-im'><body xmlns='http://www.w3.org/1999/xhtml'><p style='color: red; background-image: url(x)' onclick='x()'>hi <em>there</em><script>evil()</script> <a href='javascript:x()'>bad</a> <a href='https://ok.example/'>good</a><blink>old</blink></p></body></html>`;
  const r = filterMessage(msg(`<body>hi</body>${html}`), opts);
  assert.equal(r.kind, 'cleaned');
  if (r.kind !== 'cleaned') return;
  const body = r.stanza.getChild('html', 'http://jabber.org/protocol/xhtml-im')!.toString();
  assert.equal(
    body,
    `<html xmlns='http://jabber.org/protocol/xhtml-im'><body xmlns='http://www.w3.org/1999/xhtml'><p style='color: red'>hi <em>there</em> <a>bad</a> <a href='https://ok.example/'>good</a>old</p></body></html>`,
  );
});

test('a markup flood drops the XHTML part and keeps the plain body', () => {
  const deep = `${'<span>'.repeat(25)}x${'</span>'.repeat(25)}`;
  const r = filterMessage(msg(`<body>x</body><html xmlns='http://jabber.org/protocol/xhtml-im'><body xmlns='http://www.w3.org/1999/xhtml'>${deep}</body></html>`), opts);
  assert.equal(r.kind, 'cleaned');
  if (r.kind !== 'cleaned') return;
  assert.equal(r.stanza.getChild('html', 'http://jabber.org/protocol/xhtml-im'), undefined);
  assert.equal(r.stanza.getChildText('body'), 'x');
});

test('style values that load resources are dropped, plain ones kept', () => {
  assert.equal(safeStyle('color: red; background: url(http://x/)'), 'color: red');
  assert.equal(safeStyle('font-size: 12px; width: expression(alert(1))'), 'font-size: 12px');
  assert.equal(safeStyle("font-family: 'Comic Sans', serif"), "font-family: 'Comic Sans', serif");
  assert.equal(safeStyle('color: \\75 rl(x)'), '');
});

test('the word filter masks whole words only, case-insensitively', () => {
  const words = wordPattern(['darn', 'heck']);
  const r = filterMessage(msg('<body>Darn it, what the HECK; darning socks</body>'), { maxBodyChars: 100, words });
  assert.equal(r.kind, 'cleaned');
  if (r.kind === 'cleaned') assert.equal(r.stanza.getChildText('body'), '**** it, what the ****; darning socks');
});

test('the module refuses an over-long body with policy-violation and rewrites a dirty one', async () => {
  const m = loadModules([contentFilter({ maxBodyChars: 5 })]);
  const hook = m.session.hooks[0]!.beforeRoute!;
  const env = { log: { debug() {} } } as never;
  const long = await hook({ env, key: 'b@x', stanza: msg('<body>123456</body>'), origin: undefined });
  assert.deepEqual({ kind: long.kind, condition: (long as { condition?: string }).condition }, { kind: 'error', condition: 'policy-violation' });
  assert.equal((await hook({ env, key: 'b@x', stanza: msg('<body>ok</body>'), origin: undefined })).kind, 'pass');
  assert.equal((await hook({ env, key: 'b@x', stanza: msg('<body>a\u202Eb</body>'), origin: undefined })).kind, 'rewrite');
});
