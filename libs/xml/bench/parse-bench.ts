// Compares candidate stream parsers on the edge's hot path: 100k client <message> stanzas (~200 bytes,
// one in ten with non-ASCII text) inside one stream, fed as 4 KiB Buffer chunks, building a tree and
// emitting each depth-1 element. Each candidate applies the restrictions it can.
// Run: npx tsx libs/xml/bench/parse-bench.ts [stanzas] [runs] [name-filter]
// Each candidate is best measured in its own process (name-filter), since candidates share the Element class.
import { StringDecoder } from 'node:string_decoder';
// @ts-expect-error ltx ships no types
import SaxLtx from 'ltx/src/parsers/ltx.js';
import { SaxesParser } from 'saxes';
import { Element, StreamParser, XmlError } from '../src/index.ts';

const N = Number(process.argv[2] ?? 100_000);
const RUNS = Number(process.argv[3] ?? 5);
const FILTER = process.argv[4] ?? '';
const CHUNK = 4096;
const LIMITS = { maxStanzaBytes: 262144, maxDepth: 32, maxAttributes: 64 };

function buildInput(n: number): Buffer[] {
  const parts = [
    "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='example.com' version='1.0'>",
  ];
  for (let i = 0; i < n; i++) {
    const id = String(i).padStart(6, '0');
    const body =
      i % 10 === 0
        ? `Grüße aus Köln, ça va? 你好 — message ${id} 😀`
        : `Hello Bob, how are you doing today? This is message ${id}.`;
    parts.push(
      `<message to='bob@example.com/phone' from='alice@example.com/laptop' type='chat' id='m${id}'><body>${body}</body><active xmlns='http://jabber.org/protocol/chatstates'/></message>`,
    );
  }
  parts.push('</stream:stream>');
  const all = Buffer.from(parts.join(''));
  const chunks: Buffer[] = [];
  for (let i = 0; i < all.length; i += CHUNK) chunks.push(all.subarray(i, i + CHUNK));
  return chunks;
}

type Runner = (chunks: Buffer[]) => number; // returns stanzas emitted

const parley: Runner = (chunks) => {
  let count = 0;
  const p = new StreamParser(
    {
      onStreamStart() {},
      onStanza() {
        count++;
      },
      onStreamEnd() {},
      onError(e) {
        throw e;
      },
    },
    LIMITS,
  );
  for (const c of chunks) p.write(c);
  p.end();
  return count;
};

/**
 * saxes with namespaces, restricted XML enforced through its events, limits checked in handlers.
 * The stateless rejecting handlers live on a subclass prototype: registering more than a few handlers
 * per instance with on() made saxes 3x slower (V8 shape changes on the parser object).
 */
class RestrictedSaxes extends SaxesParser<{ xmlns: true; position: true }> {}
const rejecting = {
  doctypeHandler() {
    throw new XmlError('restricted-xml', 'DOCTYPE');
  },
  commentHandler() {
    throw new XmlError('restricted-xml', 'comment');
  },
  piHandler() {
    throw new XmlError('restricted-xml', 'processing instruction');
  },
  errorHandler(e: Error) {
    throw new XmlError('not-well-formed', e.message);
  },
};
Object.assign(RestrictedSaxes.prototype, rejecting);

const saxes: Runner = (chunks) => {
  let count = 0;
  const parser = new RestrictedSaxes({ xmlns: true, position: true });
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let cur: Element | null = null;
  let depth = -1;
  let stanzaStart = 0;
  parser.on('opentag', (node) => {
    depth++;
    if (depth > LIMITS.maxDepth) throw new XmlError('policy-violation', 'depth');
    if (depth === 0) return;
    const attrs: Record<string, string> = {};
    let n = 0;
    for (const a of Object.values(node.attributes)) {
      if (++n > LIMITS.maxAttributes) throw new XmlError('policy-violation', 'attrs');
      attrs[a.name] = a.value;
    }
    const el = new Element(node.name);
    el.attrs = attrs;
    if (cur) {
      el.parent = cur;
      cur.children.push(el);
    } else stanzaStart = parser.position;
    cur = el;
  });
  parser.on('text', (t) => {
    if (cur) cur.children.push(t);
    else if (t.trim() !== '') throw new XmlError('not-well-formed', 'text');
    // Character positions, not bytes: saxes cannot count bytes.
    if (cur && parser.position - stanzaStart > LIMITS.maxStanzaBytes) throw new XmlError('policy-violation', 'size');
  });
  parser.on('closetag', () => {
    depth--;
    if (depth < 0 || !cur) return;
    const el: Element = cur;
    cur = el.parent;
    if (!cur) count++;
  });
  for (const c of chunks) parser.write(decoder.decode(c, { stream: true }));
  parser.close();
  return count;
};

/** ltx's own SAX parser behind a StringDecoder (it corrupts split characters otherwise); no restrictions possible. */
const ltx: Runner = (chunks) => {
  let count = 0;
  const sax = new SaxLtx();
  const decoder = new StringDecoder('utf8');
  let cur: Element | null = null;
  let depth = -1;
  sax.on('startElement', (name: string, attrs: Record<string, string>) => {
    depth++;
    if (depth === 0) return;
    const el = new Element(name);
    el.attrs = attrs;
    if (cur) {
      el.parent = cur;
      cur.children.push(el);
    }
    cur = el;
  });
  sax.on('endElement', () => {
    depth--;
    if (depth < 0 || !cur) return;
    const el: Element = cur;
    cur = el.parent;
    if (!cur) count++;
  });
  sax.on('text', (t: string) => {
    if (cur) cur.children.push(t);
  });
  for (const c of chunks) sax.write(decoder.write(c));
  sax.end();
  return count;
};

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

const chunks = buildInput(N);
const bytes = chunks.reduce((a, c) => a + c.length, 0);
console.log(`node ${process.version}, ${N} stanzas, ${bytes} bytes (${(bytes / N).toFixed(0)} B/stanza), ${chunks.length} chunks of ${CHUNK} B`);

const candidates: Array<[string, Runner]> = [
  ['parley (hand-written)', parley],
  ['saxes 6 xmlns:true', saxes],
  ['ltx 3 SaxLtx', ltx],
];
for (const [name, run] of candidates) {
  if (!name.includes(FILTER)) continue;
  if (run(chunks) !== N) throw new Error(`${name}: wrong stanza count`);
  const rates: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    const t0 = process.hrtime.bigint();
    run(chunks);
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    rates.push(N / s);
  }
  const m = median(rates);
  console.log(`${name.padEnd(24)} ${(m / 1000).toFixed(0).padStart(5)}k stanzas/s  (${(1e6 / m).toFixed(2)} µs each; runs ${rates.map((r) => (r / 1000).toFixed(0)).join(' ')}k)`);
}

// Restriction check: does each candidate (as configured above) refuse these streams?
const HEAD =
  "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>";
const hostile: Array<[string, string]> = [
  ['comment', `${HEAD}<message><!-- x --></message></stream:stream>`],
  ['DOCTYPE', `<!DOCTYPE a>${HEAD}<message/></stream:stream>`],
  ['PI', `${HEAD}<message><?pi x?></message></stream:stream>`],
  ['&foo;', `${HEAD}<message>&foo;</message></stream:stream>`],
  ['undeclared prefix', `${HEAD}<p:message/></stream:stream>`],
];
for (const [name, run] of candidates) {
  if (!name.includes(FILTER)) continue;
  const verdicts = hostile.map(([what, text]) => {
    try {
      run([Buffer.from(text)]);
      return `${what}: accepted`;
    } catch {
      return `${what}: refused`;
    }
  });
  console.log(`${name.padEnd(24)} ${verdicts.join(', ')}`);
}

// Serialization of the parsed stanzas (runs once per delivered stanza).
const stanzas: Element[] = [];
const p = new StreamParser({
  onStreamStart() {},
  onStanza(el) {
    stanzas.push(el);
  },
  onStreamEnd() {},
  onError(e) {
    throw e;
  },
});
for (const c of chunks) p.write(c);
const ser: number[] = [];
let total = 0;
for (let r = 0; r < RUNS; r++) {
  const t0 = process.hrtime.bigint();
  for (const el of stanzas) total += el.toString().length;
  ser.push(Number(process.hrtime.bigint() - t0) / 1e3 / stanzas.length);
}
console.log(`serialize Element.toString() ${median(ser).toFixed(2)} µs per stanza (${total > 0 ? 'ok' : ''})`);
