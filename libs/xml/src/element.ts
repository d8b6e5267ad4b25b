import { escapeAttr, escapeText } from './escape.ts';

export const XML_NS = 'http://www.w3.org/XML/1998/namespace';

export type AttrInput = Record<string, string | number | undefined | null>;
export type Child = Element | string;

/**
 * Sets an own property even for the name `__proto__`, which a plain assignment would treat as the
 * prototype setter and silently drop.
 */
export function setOwn(attrs: Record<string, string>, name: string, value: string): void {
  if (name === '__proto__') {
    Object.defineProperty(attrs, name, { value, enumerable: true, writable: true, configurable: true });
  } else {
    attrs[name] = value;
  }
}

/** An XML element: a mutable tree node with builder helpers (ltx-compatible in spirit). */
export class Element {
  name: string;
  attrs: Record<string, string>;
  children: Child[];
  parent: Element | null;

  constructor(name: string, attrs?: AttrInput | null) {
    this.name = name;
    this.attrs = {};
    this.children = [];
    this.parent = null;
    if (attrs) {
      for (const key of Object.keys(attrs)) {
        const v = attrs[key];
        if (v !== undefined && v !== null) setOwn(this.attrs, key, typeof v === 'string' ? v : String(v));
      }
    }
  }

  attr(name: string): string | undefined {
    const v = this.attrs[name];
    // typeof guards against inherited members such as `constructor`.
    return typeof v === 'string' ? v : undefined;
  }

  setAttr(name: string, value: string | undefined): this {
    if (value === undefined) delete this.attrs[name];
    else setOwn(this.attrs, name, value);
    return this;
  }

  /** Namespace of this element: its prefix's binding or the default namespace, searched up through parents. */
  getNS(): string | undefined {
    const colon = this.name.indexOf(':');
    if (colon < 0) return lookupNS(this, 'xmlns');
    const prefix = this.name.slice(0, colon);
    if (prefix === 'xml') return XML_NS;
    return lookupNS(this, 'xmlns:' + prefix);
  }

  /** The local name (or the qualified name as written) matches, and the namespace if given. */
  is(name: string, xmlns?: string): boolean {
    const n = this.name;
    if (n !== name) {
      const colon = n.indexOf(':');
      if (colon < 0 || n.length - colon - 1 !== name.length || !n.endsWith(name)) return false;
    }
    return xmlns === undefined || this.getNS() === xmlns;
  }

  getChild(name: string, xmlns?: string): Element | undefined {
    for (const c of this.children) {
      if (typeof c !== 'string' && c.is(name, xmlns)) return c;
    }
    return undefined;
  }

  getChildren(name: string, xmlns?: string): Element[] {
    const out: Element[] = [];
    for (const c of this.children) {
      if (typeof c !== 'string' && c.is(name, xmlns)) out.push(c);
    }
    return out;
  }

  getChildElements(): Element[] {
    const out: Element[] = [];
    for (const c of this.children) {
      if (typeof c !== 'string') out.push(c);
    }
    return out;
  }

  getChildText(name: string, xmlns?: string): string | undefined {
    return this.getChild(name, xmlns)?.text();
  }

  /** Concatenated direct text children. */
  text(): string {
    const ch = this.children;
    if (ch.length === 1 && typeof ch[0] === 'string') return ch[0];
    let s = '';
    for (const c of ch) if (typeof c === 'string') s += c;
    return s;
  }

  /** Appends a new child element and returns the child (builder style). */
  c(name: string, attrs?: AttrInput | null): Element {
    const child = new Element(name, attrs);
    child.parent = this;
    this.children.push(child);
    return child;
  }

  t(text: string): this {
    if (text !== '') this.children.push(text);
    return this;
  }

  up(): Element {
    return this.parent ?? this;
  }

  root(): Element {
    let e: Element = this;
    while (e.parent !== null) e = e.parent;
    return e;
  }

  append(...nodes: Child[]): this {
    for (const n of nodes) {
      if (typeof n === 'string') {
        if (n !== '') this.children.push(n);
      } else {
        if (n.parent !== null) n.parent.remove(n);
        n.parent = this;
        this.children.push(n);
      }
    }
    return this;
  }

  remove(child: Element): this {
    const i = this.children.indexOf(child);
    if (i >= 0) {
      this.children.splice(i, 1);
      child.parent = null;
    }
    return this;
  }

  /** Deep copy with `parent` null. Inherited namespace declarations are not copied. */
  clone(): Element {
    const copy = new Element(this.name);
    const attrs = copy.attrs;
    for (const key of Object.keys(this.attrs)) setOwn(attrs, key, this.attrs[key]!);
    for (const c of this.children) {
      if (typeof c === 'string') copy.children.push(c);
      else {
        const cc = c.clone();
        cc.parent = copy;
        copy.children.push(cc);
      }
    }
    return copy;
  }

  toString(): string {
    return serialize(this);
  }
}

function lookupNS(start: Element, key: string): string | undefined {
  for (let e: Element | null = start; e !== null; e = e.parent) {
    const v = e.attrs[key];
    // An empty default namespace (xmlns='') means "no namespace".
    if (typeof v === 'string') return v === '' ? undefined : v;
  }
  return undefined;
}

function serialize(el: Element): string {
  let s = '<' + el.name;
  const attrs = el.attrs;
  for (const key of Object.keys(attrs)) {
    const v = attrs[key];
    if (typeof v === 'string') s += ' ' + key + "='" + escapeAttr(v) + "'";
  }
  const ch = el.children;
  const n = ch.length;
  if (n === 0) return s + '/>';
  s += '>';
  for (let i = 0; i < n; i++) {
    const c = ch[i]!;
    s += typeof c === 'string' ? escapeText(c) : serialize(c);
  }
  return s + '</' + el.name + '>';
}

type XmlChild = Child | null | undefined | false | Child[];

/** Builder: `xml('message', { to }, xml('body', null, text))`; null/undefined/false children are skipped. */
export function xml(name: string, attrs?: AttrInput | null, ...children: XmlChild[]): Element {
  const el = new Element(name, attrs);
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) el.append(...c);
    else el.append(c);
  }
  return el;
}
