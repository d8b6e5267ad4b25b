// XEP-0071 XHTML-IM reduced to the recommended profile (§7) with the security rules of §8: no
// scripts or other active content, no event or unknown attributes, links only to safe schemes
// (no javascript: or data:), images only over http(s), and only the listed style properties with
// values that cannot load anything (no url(), expression(), @import). Unknown elements are
// unwrapped (their text is kept, §8 "process the CDATA"); markup floods (deep nesting, thousands
// of elements) drop the XHTML part, leaving the plain <body/>.
import { Element } from '@parley/xml';

export const NS_XHTML_IM = 'http://jabber.org/protocol/xhtml-im';
export const NS_XHTML = 'http://www.w3.org/1999/xhtml';

/** Below the parser's own limit (32 from the stream), so a flood that passes the parser is still caught here. */
const MAX_DEPTH = 16;
const MAX_ELEMENTS = 1000;

/** §7 recommended profile: element → allowed attributes. */
const ALLOWED: Record<string, string[]> = {
  body: ['style', 'xml:lang', 'xmlns'],
  a: ['href', 'style', 'type'],
  blockquote: ['style'],
  br: [],
  cite: ['style'],
  code: ['style'],
  em: ['style'],
  img: ['alt', 'height', 'src', 'style', 'width'],
  li: ['style'],
  ol: ['style'],
  p: ['style'],
  pre: ['style'],
  q: ['style'],
  span: ['style'],
  strong: ['style'],
  ul: ['style'],
};

/** Removed with everything inside them: active or embedding content (§8). */
const DROP = new Set(['script', 'style', 'iframe', 'frame', 'frameset', 'object', 'embed', 'applet', 'form', 'input', 'button', 'textarea', 'select', 'option', 'head', 'title', 'meta', 'link', 'base', 'svg', 'math', 'noscript', 'template', 'audio', 'video', 'source', 'canvas']);

/** §7: the CSS properties of the recommended profile. */
const CSS_PROPERTIES = new Set(['background-color', 'color', 'font-family', 'font-size', 'font-style', 'font-weight', 'margin-left', 'margin-right', 'text-align', 'text-decoration']);
const CSS_VALUE = /^[#\w\s%.,'"()-]+$/;
const CSS_DANGER = /url|expression|import|javascript|behavior|binding|\\/i;

const LINK_SCHEMES = /^(https?|xmpp|mailto):/i;
const IMAGE_SCHEMES = /^https?:/i;

export interface XhtmlFindings {
  removed: number;
}

/** The safe version of an <html xmlns='…xhtml-im'/> payload, or null when nothing safe is left. */
export function sanitizeXhtml(html: Element, found: XhtmlFindings, clean: (text: string) => string): Element | null {
  const out = new Element('html', { xmlns: NS_XHTML_IM });
  let count = 0;
  for (const body of html.getChildElements()) {
    if (body.name !== 'body' || body.getNS() !== NS_XHTML) {
      found.removed++;
      continue;
    }
    const copy = new Element('body', { xmlns: NS_XHTML });
    copyAttrs(body, copy, found);
    const budget = { elements: 0 };
    if (!copyChildren(body, copy, 1, budget, found, clean)) {
      found.removed++;
      return null; // a markup flood: the plain body is enough
    }
    count += budget.elements;
    if (count > MAX_ELEMENTS) return null;
    out.append(copy);
  }
  return out.children.length ? out : null;
}

function copyChildren(from: Element, to: Element, depth: number, budget: { elements: number }, found: XhtmlFindings, clean: (t: string) => string): boolean {
  for (const c of from.children) {
    if (typeof c === 'string') {
      to.append(clean(c));
      continue;
    }
    if (++budget.elements > MAX_ELEMENTS || depth > MAX_DEPTH) return false;
    const name = c.name;
    const known = c.getNS() === NS_XHTML && !name.includes(':');
    if (known && DROP.has(name)) {
      found.removed++;
      continue;
    }
    if (!known || !(name in ALLOWED) || name === 'body') {
      // Unknown element: unwrap, keeping its (sanitized) content.
      found.removed++;
      if (!copyChildren(c, to, depth + 1, budget, found, clean)) return false;
      continue;
    }
    if (name === 'img') {
      const src = c.attr('src') ?? '';
      if (!IMAGE_SCHEMES.test(src.trim())) {
        found.removed++;
        const alt = c.attr('alt');
        if (alt) to.append(clean(alt));
        continue;
      }
    }
    const copy = new Element(name);
    copyAttrs(c, copy, found);
    to.append(copy);
    if (!copyChildren(c, copy, depth + 1, budget, found, clean)) return false;
  }
  return true;
}

function copyAttrs(from: Element, to: Element, found: XhtmlFindings): void {
  const allowed = ALLOWED[from.name] ?? [];
  for (const [k, v] of Object.entries(from.attrs)) {
    if (k === 'xmlns' && from.name !== 'body') continue;
    if (k === 'xmlns') {
      to.setAttr(k, NS_XHTML);
      continue;
    }
    if (!allowed.includes(k)) {
      found.removed++; // event handlers (on*), id/class tricks, anything unlisted
      continue;
    }
    if (k === 'style') {
      const style = safeStyle(v);
      if (style !== v) found.removed++;
      if (style) to.setAttr(k, style);
      continue;
    }
    if (k === 'href' && !LINK_SCHEMES.test(v.trim())) {
      found.removed++; // javascript:, data:, vbscript:, relative tricks
      continue;
    }
    to.setAttr(k, v);
  }
}

/** Keep only recommended properties whose values load nothing. */
export function safeStyle(style: string): string {
  const kept: string[] = [];
  for (const decl of style.split(';')) {
    const i = decl.indexOf(':');
    if (i < 0) continue;
    const prop = decl.slice(0, i).trim().toLowerCase();
    const value = decl.slice(i + 1).trim();
    if (!CSS_PROPERTIES.has(prop) || !CSS_VALUE.test(value) || CSS_DANGER.test(value)) continue;
    kept.push(`${prop}: ${value}`);
  }
  return kept.join('; ');
}
