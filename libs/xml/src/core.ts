// Incremental restricted-XML parser over decoded text. One instance parses either an XMPP stream (a root
// element whose depth-1 children are emitted one by one) or a single fragment.
//
// Every input character is scanned once by a JS loop that also counts its UTF-8 bytes, so the size limits
// are exact in bytes and never re-scan buffered input: an unfinished tag is kept as a list of parts and
// only its new part is searched for the closing '>'.

import { ASCII_NAME, isWs, isXmlChar, NCNAME_RE } from './chars.ts';
import { Element, setOwn, XML_NS } from './element.ts';
import { XmlError, type XmlErrorCondition } from './errors.ts';
import type { ResolvedLimits } from './limits.ts';

const XMLNS_NS = 'http://www.w3.org/2000/xmlns/';

/** Longest entity or character reference we wait for (`&#x0010FFFF;` is 12); longer ones are rejected. */
const MAX_REF = 32;

const PROLOG = 0; // before the stream root (or fragment element)
const IN_ROOT = 1; // inside the stream root (or fragment element)
const EPILOG = 2; // after it closed

export interface CoreSink {
  streamStart(name: string, attrs: Record<string, string>): void;
  element(el: Element): void;
  streamEnd(): void;
  error(err: XmlError): void;
}

const STOP = -1;
/** The tag continues beyond this input. */
const INCOMPLETE = -3;

export class XmlCore {
  failed: XmlError | null = null;

  private buf = '';
  private phase = PROLOG;
  private atStart = true;
  private cur: Element | null = null;
  private depth = 0;
  private rootAttrs: Record<string, string> | null = null;
  private rootName = '';
  /** Prefixes the current stanza resolved through declarations on the stream root. */
  private rootPrefixes: string[] = [];
  /** UTF-8 bytes of the stream header (before the root's '>') or of the current stanza. */
  private unitBytes = 0;
  /** Elements in the current stanza. */
  private unitElements = 0;
  /** Parts of an unfinished tag, and the quote it is inside (0 = none). */
  private tagParts: string[] | null = null;
  private tagQuote = 0;
  private inCdata = false;
  /** An XML declaration was read: the input has started even if no element has. */
  private declared = false;
  private gen = 0;
  /** Out-values of helpers, kept as fields to avoid allocating a result object per call. */
  private colon = -1;
  /** Extra UTF-8 bytes (beyond one per UTF-16 unit) of the names and values of the tag being parsed. */
  private tagExtra = 0;
  private refText = '';

  constructor(
    private readonly fragment: boolean,
    private readonly limits: ResolvedLimits,
    private readonly sink: CoreSink,
  ) {}

  reset(): void {
    this.gen++;
    this.failed = null;
    this.buf = '';
    this.phase = PROLOG;
    this.atStart = true;
    this.cur = null;
    this.depth = 0;
    this.rootAttrs = null;
    this.rootName = '';
    this.rootPrefixes = [];
    this.unitBytes = 0;
    this.unitElements = 0;
    this.tagParts = null;
    this.tagQuote = 0;
    this.inCdata = false;
    this.declared = false;
  }

  feed(s: string): void {
    if (this.failed !== null || s.length === 0) return;
    const parts = this.tagParts;
    if (parts !== null) {
      const end = this.findGt(s, 0);
      if (end === -2) {
        this.fail('not-well-formed', "'<' inside a tag");
        return;
      }
      if (end === -1) {
        parts.push(s);
        this.checkUnit();
        return;
      }
      if (this.checkUnit() === STOP) return;
      this.tagParts = null;
      const head = parts.length === 1 ? parts[0]! : parts.join('');
      const full = head + s;
      const gen = this.gen;
      const next = this.completeTag(full, 0, head.length + end);
      if (next === STOP || this.gen !== gen) return;
      this.atStart = false;
      this.run(full, next);
      return;
    }
    const b = this.buf;
    this.buf = '';
    this.run(b.length === 0 ? s : b + s, 0);
  }

  /** The input ended: anything unfinished is an error. */
  end(): void {
    if (this.failed !== null) return;
    const unfinished = this.phase === IN_ROOT || (this.phase === PROLOG && this.declared);
    if (unfinished || this.tagParts !== null || this.inCdata || this.buf.length > 0) {
      this.fail('not-well-formed', 'unexpected end of input');
    }
  }

  // ---- main loop ------------------------------------------------------------------------------

  private run(s: string, pos: number): void {
    const gen = this.gen;
    const len = s.length;
    while (pos < len) {
      if (this.inCdata) pos = this.cdata(s, pos);
      else if (s.charCodeAt(pos) === 60) pos = this.markup(s, pos);
      else if (this.cur !== null) pos = this.text(s, pos);
      else pos = this.outside(s, pos);
      // A handler may have called reset(): the rest of this input belongs to the old stream and is dropped
      // (RFC 6120 §5.4.3.3: nothing sent before the TLS handshake may leak into the new stream).
      if (pos === STOP || this.gen !== gen) return;
      this.atStart = false;
    }
  }

  /** Keeps s[pos..] for the next feed; only ever a few characters (see MAX_REF and the text hold-back). */
  private wait(s: string, pos: number): number {
    this.buf = s.slice(pos);
    return STOP;
  }

  private fail(condition: XmlErrorCondition, reason: string): number {
    if (this.failed === null) {
      this.failed = new XmlError(condition, reason);
      this.buf = '';
      this.tagParts = null;
      this.cur = null;
      this.sink.error(this.failed);
    }
    return STOP;
  }

  private checkUnit(): number {
    if (this.fragment || this.phase !== PROLOG) {
      if (this.unitBytes > this.limits.maxStanzaBytes) return this.fail('policy-violation', 'stanza too large');
    } else if (this.unitBytes > this.limits.maxStreamHeaderBytes) {
      return this.fail('policy-violation', 'stream header too large');
    }
    return 0;
  }

  // ---- character data -------------------------------------------------------------------------

  /** Whitespace outside any stanza: keepalives (RFC 6120 §4.6.1) and prolog/epilog whitespace. */
  private outside(s: string, pos: number): number {
    const len = s.length;
    let k = pos;
    while (k < len) {
      const c = s.charCodeAt(k);
      if (c === 60) break;
      if (!isWs(c)) {
        return this.fail(
          'not-well-formed',
          this.phase === IN_ROOT ? 'character data between stanzas' : 'character data outside the root element',
        );
      }
      k++;
    }
    if (this.phase === PROLOG) {
      // Counted so that whitespace before the header cannot grow without bound.
      this.unitBytes += k - pos;
      if (this.checkUnit() === STOP) return STOP;
    }
    return k;
  }

  /** Character data inside a stanza, up to the next '<', '&' or the end of the input. */
  private text(s: string, pos: number): number {
    if (s.charCodeAt(pos) === 38) return this.textReference(s, pos);
    const len = s.length;
    let k = pos;
    let extra = 0;
    let cr = false;
    let held = false;
    for (; k < len; k++) {
      const c = s.charCodeAt(k);
      if (c === 60 || c === 38) break;
      if (c < 0x20) {
        if (c === 13) cr = true;
        else if (c !== 10 && c !== 9) return this.fail('not-well-formed', 'invalid character');
      } else if (c === 62) {
        // XML 1.0 §2.4: ']]>' may not appear literally in character data.
        if (k - pos >= 2 && s.charCodeAt(k - 1) === 93 && s.charCodeAt(k - 2) === 93) {
          return this.fail('not-well-formed', "']]>' in character data");
        }
      } else if (c >= 0x80) {
        const add = this.nonAscii(s, k, len);
        if (add < 0) {
          if (add === -2) {
            held = true; // high surrogate at the end of input: wait for its pair
            break;
          }
          return STOP;
        }
        if (add === 3) {
          extra += 2;
          k++;
        } else extra += add;
      }
    }
    let end = k;
    if (k === len && !held) {
      // Hold back a trailing CR (it may start a CRLF) and up to two ']' (they may start ']]>').
      if (end > pos && s.charCodeAt(end - 1) === 13) end--;
      if (end > pos && s.charCodeAt(end - 1) === 93) {
        end--;
        if (end > pos && s.charCodeAt(end - 1) === 93) end--;
      }
    }
    if (end > pos) {
      let piece = s.slice(pos, end);
      // XML 1.0 §2.11: CRLF and lone CR become LF.
      if (cr) piece = piece.replace(/\r\n?/g, '\n');
      this.appendText(piece);
      this.unitBytes += end - pos + extra;
      if (this.checkUnit() === STOP) return STOP;
    }
    return k === len || held ? this.wait(s, end) : k;
  }

  /**
   * Validates the non-ASCII code unit at s[k]. Returns the extra UTF-8 bytes it needs beyond one
   * (1 or 2), 3 for a valid surrogate pair (the caller skips the low half), -2 if a high surrogate ends
   * the input, or STOP after failing.
   */
  private nonAscii(s: string, k: number, len: number): number {
    const c = s.charCodeAt(k);
    if (c < 0x800) return 1;
    if (c >= 0xd800 && c <= 0xdfff) {
      if (c >= 0xdc00) return this.fail('not-well-formed', 'invalid character');
      if (k + 1 >= len) return -2;
      const d = s.charCodeAt(k + 1);
      if (d < 0xdc00 || d > 0xdfff) return this.fail('not-well-formed', 'invalid character');
      return 3;
    }
    if (c >= 0xfffe) return this.fail('not-well-formed', 'invalid character');
    return 2;
  }

  private appendText(piece: string): void {
    const ch = this.cur!.children;
    const last = ch.length - 1;
    if (last >= 0 && typeof ch[last] === 'string') ch[last] = ch[last] + piece;
    else ch.push(piece);
  }

  /** Inside <![CDATA[ ... ]]>: its content is character data like any other. */
  private cdata(s: string, pos: number): number {
    const len = s.length;
    const close = s.indexOf(']]>', pos);
    let end = close >= 0 ? close : Math.max(pos, len - 2);
    if (close < 0 && end > pos) {
      const c = s.charCodeAt(end - 1);
      if (c === 13 || (c >= 0xd800 && c <= 0xdbff)) end--;
    }
    let extra = 0;
    let cr = false;
    for (let k = pos; k < end; k++) {
      const c = s.charCodeAt(k);
      if (c < 0x20) {
        if (c === 13) cr = true;
        else if (c !== 10 && c !== 9) return this.fail('not-well-formed', 'invalid character');
      } else if (c >= 0x80) {
        const add = this.nonAscii(s, k, end);
        if (add < 0) return add === -2 ? this.fail('not-well-formed', 'invalid character') : STOP;
        if (add === 3) {
          extra += 2;
          k++;
        } else extra += add;
      }
    }
    if (end > pos) {
      let piece = s.slice(pos, end);
      if (cr) piece = piece.replace(/\r\n?/g, '\n');
      this.appendText(piece);
    }
    this.unitBytes += end - pos + extra + (close >= 0 ? 3 : 0);
    if (this.checkUnit() === STOP) return STOP;
    if (close < 0) return this.wait(s, end);
    this.inCdata = false;
    return close + 3;
  }

  // ---- references ------------------------------------------------------------------------------

  /**
   * Parses the reference starting with '&' at s[k], ending before `limit`. Sets refText and returns the
   * index after ';'; returns -2 if the input ended inside a plausible reference, or STOP after failing.
   */
  private reference(s: string, k: number, limit: number): number {
    const max = Math.min(limit, k + MAX_REF);
    let semi = -1;
    for (let j = k + 1; j < max; j++) {
      const c = s.charCodeAt(j);
      if (c === 59) {
        semi = j;
        break;
      }
      // Only name characters and '#' can appear in a reference.
      if (c < 128 && ASCII_NAME[c] === 0 && c !== 35 && c !== 58) {
        return this.fail('not-well-formed', "'&' not followed by a reference");
      }
    }
    if (semi < 0) {
      if (max === limit && limit - k < MAX_REF) return -2;
      return this.fail('not-well-formed', 'unterminated reference');
    }
    const body = s.slice(k + 1, semi);
    switch (body) {
      case 'amp':
        this.refText = '&';
        return semi + 1;
      case 'lt':
        this.refText = '<';
        return semi + 1;
      case 'gt':
        this.refText = '>';
        return semi + 1;
      case 'quot':
        this.refText = '"';
        return semi + 1;
      case 'apos':
        this.refText = "'";
        return semi + 1;
    }
    if (body.charCodeAt(0) === 35) {
      let cp = Number.NaN;
      if (/^#x[0-9A-Fa-f]+$/.test(body)) cp = Number.parseInt(body.slice(2), 16);
      else if (/^#[0-9]+$/.test(body)) cp = Number.parseInt(body.slice(1), 10);
      // XML 1.0 §4.1 WFC: Legal Character.
      if (!isXmlChar(cp)) return this.fail('not-well-formed', 'invalid character reference');
      this.refText = String.fromCodePoint(cp);
      return semi + 1;
    }
    if (body.length > 0 && (NCNAME_RE.test(body) || /^[A-Za-z_][\w.:-]*$/.test(body))) {
      // RFC 6120 §11.1: no entity references other than the five predefined ones.
      return this.fail('restricted-xml', 'entity references are not allowed');
    }
    return this.fail('not-well-formed', 'malformed reference');
  }

  private textReference(s: string, k: number): number {
    if (this.cur === null) return this.outside(s, k);
    const next = this.reference(s, k, s.length);
    if (next === -2) return this.wait(s, k);
    if (next === STOP) return STOP;
    this.appendText(this.refText);
    this.unitBytes += next - k;
    return this.checkUnit() === STOP ? STOP : next;
  }

  // ---- markup ---------------------------------------------------------------------------------

  private markup(s: string, i: number): number {
    const len = s.length;
    if (i + 1 >= len) return this.wait(s, i);
    const c1 = s.charCodeAt(i + 1);
    if (c1 === 33) return this.bang(s, i);
    if (c1 === 63) {
      // XML 1.0 §2.8: the XML declaration may only open the document; RFC 6120 §11.1 forbids every other
      // processing instruction.
      if (this.atStart) {
        if (len - i < 6) return '<?xml '.startsWith(s.slice(i)) ? this.wait(s, i) : this.pi();
        if (s.startsWith('<?xml', i) && isWs(s.charCodeAt(i + 5))) return this.tag(s, i);
      }
      return this.pi();
    }
    return this.tag(s, i);
  }

  private pi(): number {
    return this.fail('restricted-xml', 'processing instructions are not allowed');
  }

  /** `<!`: comments, DOCTYPE and other declarations are refused; CDATA sections are accepted. */
  private bang(s: string, i: number): number {
    const avail = s.slice(i, i + 9);
    if (avail.startsWith('<!--')) return this.fail('restricted-xml', 'comments are not allowed'); // RFC 6120 §11.1
    if (avail === '<![CDATA[') {
      if (this.cur === null) return this.fail('not-well-formed', 'character data outside a stanza');
      this.inCdata = true;
      this.unitBytes += 9;
      return i + 9;
    }
    if (avail.length < 9 && ('<!--'.startsWith(avail) || '<![CDATA['.startsWith(avail))) return this.wait(s, i);
    const c2 = s.charCodeAt(i + 2);
    if (c2 >= 65 && c2 <= 90) {
      // RFC 6120 §11.1: no DTDs (DOCTYPE) and no markup declarations (ENTITY, ELEMENT, ATTLIST, NOTATION).
      return this.fail('restricted-xml', 'document type declarations are not allowed');
    }
    return this.fail('not-well-formed', "malformed '<!' markup");
  }

  /** A start tag, end tag or XML declaration starting at s[i]. */
  private tag(s: string, i: number): number {
    const c1 = s.charCodeAt(i + 1);
    if (!this.fragment && this.phase === IN_ROOT && this.cur === null) {
      // A new stanza (or the stream's end tag): its size is counted from its '<'.
      this.unitBytes = 0;
      if (this.rootPrefixes.length > 0) this.rootPrefixes = [];
    }
    if (c1 !== 63) {
      // Fast path: the tag is usually complete in this input, so parse it in one pass. The first '>' may
      // sit inside an attribute value; startTag then looks further or reports INCOMPLETE.
      const e = s.indexOf('>', i + 1);
      if (e >= 0) {
        const r = c1 === 47 ? this.endTag(s, i, e, false) : this.startTag(s, i, e, false);
        if (r !== INCOMPLETE) return r;
      }
    }
    // Slow path: collect the tag across inputs, scanning each part once for its '>'.
    this.unitBytes += 1;
    this.tagQuote = 0;
    const end = this.findGt(s, i + 1);
    if (end === -2) return this.fail('not-well-formed', "'<' inside a tag");
    if (this.checkUnit() === STOP) return STOP;
    if (end === -1) {
      this.tagParts = [s.slice(i)];
      return STOP;
    }
    return this.completeTag(s, i, end);
  }

  /** Finds the tag's closing '>' from s[from], outside quotes; counts the bytes scanned. -1: not yet. */
  private findGt(s: string, from: number): number {
    const len = s.length;
    let q = this.tagQuote;
    let extra = 0;
    let k = from;
    let found = -1;
    for (; k < len; k++) {
      const c = s.charCodeAt(k);
      if (c === 60) return -2;
      if (q !== 0) {
        if (c === q) q = 0;
      } else if (c === 62) {
        found = k;
        break;
      } else if (c === 34 || c === 39) q = c;
      if (c >= 0x80) extra += c < 0x800 || (c >= 0xd800 && c <= 0xdfff) ? 1 : 2;
    }
    this.tagQuote = q;
    this.unitBytes += (found >= 0 ? found + 1 : len) - from + extra;
    return found;
  }

  /** Parses a tag whose end `e` was found by findGt, which also counted its bytes. */
  private completeTag(s: string, i: number, e: number): number {
    const c1 = s.charCodeAt(i + 1);
    if (c1 === 47) return this.endTag(s, i, e, true);
    if (c1 === 63) return this.xmlDecl(s, i, e);
    const r = this.startTag(s, i, e, true);
    return r === INCOMPLETE ? this.fail('not-well-formed', 'malformed tag') : r;
  }

  /** Adds a parsed tag's bytes (s[i..e] plus the extra UTF-8 bytes its names and values needed). */
  private countTag(i: number, e: number): number {
    this.unitBytes += e - i + 1 + this.tagExtra;
    return this.checkUnit();
  }

  /**
   * Scans a QName at s[p..] (before e). Returns its end; sets `colon` to the prefix length or -1.
   * Checks XML 1.0 §2.3 Name and XML-NAMES §4 QName syntax.
   */
  private name(s: string, p: number, e: number): number {
    let k = p;
    let colon = -1;
    let nonAscii = false;
    const first = s.charCodeAt(p);
    if (first < 128 && ASCII_NAME[first] !== 1) return this.fail('not-well-formed', 'invalid name');
    for (; k < e; k++) {
      const c = s.charCodeAt(k);
      if (c < 128) {
        if (ASCII_NAME[c] !== 0) continue;
        if (c !== 58) break;
        if (colon >= 0) return this.fail('not-well-formed', 'invalid qualified name');
        colon = k;
        const n = s.charCodeAt(k + 1);
        if (n < 128 && ASCII_NAME[n] !== 1) return this.fail('not-well-formed', 'invalid qualified name');
      } else nonAscii = true;
    }
    if (k - p > this.limits.maxNameLength) return this.fail('policy-violation', 'name too long');
    if (nonAscii) {
      for (let j = p; j < k; j++) {
        const c = s.charCodeAt(j);
        if (c >= 0x80) this.tagExtra += c < 0x800 || (c >= 0xd800 && c <= 0xdfff) ? 1 : 2;
      }
      const ok =
        colon < 0
          ? NCNAME_RE.test(s.slice(p, k))
          : NCNAME_RE.test(s.slice(p, colon)) && NCNAME_RE.test(s.slice(colon + 1, k));
      if (!ok) return this.fail('not-well-formed', 'invalid name');
    }
    this.colon = colon < 0 ? -1 : colon - p;
    return k;
  }

  private startTag(s: string, i: number, e: number, counted: boolean): number {
    this.tagExtra = 0;
    if (this.phase === EPILOG) {
      return this.fail('not-well-formed', this.fragment ? 'more than one element' : 'data after the stream end');
    }
    const limits = this.limits;
    let p = this.name(s, i + 1, e);
    if (p === STOP) return STOP;
    const name = s.slice(i + 1, p);
    const nameColon = this.colon;
    const attrs: Record<string, string> = {};
    let count = 0;
    let prefixed = false;
    let selfClose = false;
    for (;;) {
      let c = s.charCodeAt(p);
      let ws = false;
      while (c === 32 || c === 10 || c === 9 || c === 13) {
        c = s.charCodeAt(++p);
        ws = true;
      }
      if (c === 62) break;
      if (c === 47) {
        if (p + 1 !== e) return this.fail('not-well-formed', "'/' inside a tag");
        selfClose = true;
        break;
      }
      if (!ws) return this.fail('not-well-formed', 'attributes must be separated by whitespace');
      const an0 = p;
      p = this.name(s, p, e);
      if (p === STOP) return STOP;
      const an = s.slice(an0, p);
      if (this.colon >= 0) prefixed = true;
      c = s.charCodeAt(p);
      while (c === 32 || c === 10 || c === 9 || c === 13) c = s.charCodeAt(++p);
      if (c !== 61) return this.fail('not-well-formed', "expected '=' after an attribute name");
      c = s.charCodeAt(++p);
      while (c === 32 || c === 10 || c === 9 || c === 13) c = s.charCodeAt(++p);
      if (c !== 34 && c !== 39) return this.fail('not-well-formed', 'attribute values must be quoted');
      const vEnd = s.indexOf(c === 34 ? '"' : "'", p + 1);
      if (vEnd < 0) return INCOMPLETE;
      if (vEnd > e) {
        // The '>' we stopped at was inside this value.
        if (counted) return INCOMPLETE;
        e = s.indexOf('>', vEnd + 1);
        if (e < 0) return INCOMPLETE;
      }
      const value = this.attrValue(s, p + 1, vEnd);
      if (value === null) return STOP;
      if (++count > limits.maxAttributes) return this.fail('policy-violation', 'too many attributes');
      // Values are always strings, inherited members never are: this is an own-property test.
      if (typeof attrs[an] === 'string') return this.fail('not-well-formed', 'duplicate attribute');
      if (an === 'xmlns' && (value === XML_NS || value === XMLNS_NS)) {
        return this.fail('invalid-namespace', 'reserved namespace as default'); // XML-NAMES §3
      }
      if (an === '__proto__') setOwn(attrs, an, value);
      else attrs[an] = value;
      p = vEnd + 1;
    }

    if (!counted && this.countTag(i, e) === STOP) return STOP;
    if (prefixed && this.checkPrefixedAttrs(attrs) === STOP) return STOP;
    if (nameColon >= 0 && !this.resolvePrefix(name.slice(0, nameColon), attrs)) {
      return this.fail('invalid-namespace', 'undeclared namespace prefix');
    }

    if (this.phase === PROLOG) {
      this.phase = IN_ROOT;
      if (!this.fragment) return this.streamRoot(name, attrs, selfClose, e + 1);
    }

    const depth = this.depth + 1;
    if (depth > limits.maxDepth) return this.fail('policy-violation', 'elements nested too deeply');
    if (this.cur === null) this.unitElements = 0;
    if (++this.unitElements > limits.maxStanzaElements) return this.fail('policy-violation', 'too many elements');
    const el = new Element(name);
    el.attrs = attrs;
    const parent = this.cur;
    if (parent !== null) {
      el.parent = parent;
      parent.children.push(el);
    }
    if (!selfClose) {
      this.cur = el;
      this.depth = depth;
    } else if (parent === null) {
      return this.emit(el, e + 1);
    }
    return e + 1;
  }

  /** XML-NAMES §3: prefix declarations must be well-formed, prefixed attributes declared. */
  private checkPrefixedAttrs(attrs: Record<string, string>): number {
    for (const an of Object.keys(attrs)) {
      const colon = an.indexOf(':');
      if (colon < 0) continue;
      const prefix = an.slice(0, colon);
      if (prefix === 'xmlns') {
        const local = an.slice(colon + 1);
        const v = attrs[an]!;
        const bad =
          local === 'xmlns' ||
          v === '' ||
          (local === 'xml' ? v !== XML_NS : v === XML_NS || v === XMLNS_NS);
        if (bad) return this.fail('invalid-namespace', 'invalid namespace declaration');
      } else if (!this.resolvePrefix(prefix, attrs)) {
        return this.fail('invalid-namespace', 'undeclared namespace prefix');
      }
    }
    return 0;
  }

  private resolvePrefix(prefix: string, own: Record<string, string>): boolean {
    if (prefix === 'xml') return true;
    if (prefix === 'xmlns') return false;
    const key = 'xmlns:' + prefix;
    if (typeof own[key] === 'string') return true;
    for (let e = this.cur; e !== null; e = e.parent) {
      if (typeof e.attrs[key] === 'string') return true;
    }
    const root = this.rootAttrs;
    if (root !== null && typeof root[key] === 'string') {
      if (!this.rootPrefixes.includes(prefix)) this.rootPrefixes.push(prefix);
      return true;
    }
    return false;
  }

  private streamRoot(name: string, attrs: Record<string, string>, selfClose: boolean, next: number): number {
    this.rootAttrs = attrs;
    this.rootName = name;
    this.unitBytes = 0;
    const gen = this.gen;
    this.sink.streamStart(name, { ...attrs });
    if (this.gen !== gen || this.failed !== null) return STOP;
    return selfClose ? this.closeStream(next) : next;
  }

  private closeStream(next: number): number {
    this.phase = EPILOG;
    const gen = this.gen;
    this.sink.streamEnd();
    if (this.gen !== gen || this.failed !== null) return STOP;
    return next;
  }

  private endTag(s: string, i: number, e: number, counted: boolean): number {
    this.tagExtra = 0;
    const p0 = i + 2;
    let p = this.name(s, p0, e);
    if (p === STOP) return STOP;
    const name = s.slice(p0, p);
    while (p < e && isWs(s.charCodeAt(p))) p++;
    if (p !== e) return this.fail('not-well-formed', 'malformed end tag');
    if (!counted && this.countTag(i, e) === STOP) return STOP;
    const el = this.cur;
    if (el === null) {
      if (!this.fragment && this.phase === IN_ROOT && name === this.rootName) {
        return this.closeStream(e + 1);
      }
      return this.fail('not-well-formed', 'unexpected end tag');
    }
    if (el.name !== name) return this.fail('not-well-formed', 'mismatched end tag');
    this.cur = el.parent;
    this.depth--;
    return this.cur === null ? this.emit(el, e + 1) : e + 1;
  }

  /** A depth-1 element is complete: make it self-contained and hand it over. */
  private emit(el: Element, next: number): number {
    this.depth = 0;
    if (this.fragment) {
      this.phase = EPILOG;
      this.sink.element(el);
      return next;
    }
    const root = this.rootAttrs!;
    const attrs = el.attrs;
    const ns = root.xmlns;
    if (ns !== undefined && typeof attrs.xmlns !== 'string') attrs.xmlns = ns;
    const prefixes = this.rootPrefixes;
    for (let k = 0; k < prefixes.length; k++) {
      const key = 'xmlns:' + prefixes[k];
      if (typeof attrs[key] !== 'string') attrs[key] = root[key]!;
    }
    const gen = this.gen;
    this.sink.element(el);
    if (this.gen !== gen || this.failed !== null) return STOP;
    return next;
  }

  private xmlDecl(s: string, i: number, e: number): number {
    const decl = s.slice(i, e + 1);
    const m =
      /^<\?xml[ \t\r\n]+version[ \t\r\n]*=[ \t\r\n]*(?:'1\.[0-9]+'|"1\.[0-9]+")(?:[ \t\r\n]+encoding[ \t\r\n]*=[ \t\r\n]*(?:'([A-Za-z][\w.-]*)'|"([A-Za-z][\w.-]*)"))?(?:[ \t\r\n]+standalone[ \t\r\n]*=[ \t\r\n]*(?:'(?:yes|no)'|"(?:yes|no)"))?[ \t\r\n]*\?>$/.exec(
        decl,
      );
    if (m === null) return this.fail('not-well-formed', 'malformed XML declaration');
    const enc = m[1] ?? m[2];
    if (enc !== undefined && enc.toLowerCase() !== 'utf-8') {
      // RFC 6120 §11.6: UTF-8 only.
      return this.fail('unsupported-encoding', 'only UTF-8 is supported');
    }
    this.declared = true;
    return e + 1;
  }

  /** Attribute value s[a..b): references resolved, XML 1.0 §3.3.3 whitespace normalisation applied. */
  private attrValue(s: string, a: number, b: number): string | null {
    let k = a;
    for (; k < b; k++) {
      const c = s.charCodeAt(k);
      if (c < 0x20 || c === 38 || c === 60 || c >= 0x80) break;
    }
    if (k === b) return s.slice(a, b);
    let out = '';
    let run = a;
    for (; k < b; k++) {
      const c = s.charCodeAt(k);
      if (c === 38) {
        const next = this.reference(s, k, b);
        if (next < 0) {
          if (next === -2) this.fail('not-well-formed', 'unterminated reference');
          return null;
        }
        out += s.slice(run, k) + this.refText;
        run = next;
        k = next - 1;
      } else if (c === 60) {
        this.fail('not-well-formed', "'<' in an attribute value");
        return null;
      } else if (c < 0x20) {
        if (c !== 9 && c !== 10 && c !== 13) {
          this.fail('not-well-formed', 'invalid character');
          return null;
        }
        out += s.slice(run, k) + ' ';
        // CRLF is one line end, hence one space.
        if (c === 13 && k + 1 < b && s.charCodeAt(k + 1) === 10) k++;
        run = k + 1;
      } else if (c >= 0x80) {
        const add = this.nonAscii(s, k, b);
        if (add < 0) {
          if (add === -2) this.fail('not-well-formed', 'invalid character');
          return null;
        }
        if (add === 3) {
          this.tagExtra += 2;
          k++;
        } else this.tagExtra += add;
      }
    }
    return out + s.slice(run, b);
  }
}
