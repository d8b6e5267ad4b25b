// Property-based fuzzing (issue 9 item 8) of the three places untrusted bytes meet Parley first:
// the XML stream parser, the c2s state machine and the SASL exchange. Each target is an async
// property: it must never throw (only report errors through its callbacks or as stream/SASL
// errors), never answer internal-server-error, and never take long (a hang check per case).
// The same targets run briefly in `make test` (tests/fuzz.test.ts) and for ≥1,000,000 cases in
// tests/fuzz/bench.ts (results in docs/fuzzing.md).
import { Registry } from 'prom-client';
import fc from 'fast-check';
import { defaultConfig } from '@parley/config';
import { loadModules } from '@parley/ext';
import { defaultModules } from '@parley/extensions';
import type { Logger } from '@parley/log';
import { createSaslSession, deriveAllCredentials, type ScramCredential, type ScramHash } from '@parley/sasl';
import { parseFragment, StreamParser, XmlError } from '@parley/xml';
import { C2SConnection } from '../../services/edge/src/c2s/connection.ts';
import type { EdgeContext } from '../../services/edge/src/context.ts';
import { createEdgeLimits } from '../../services/edge/src/limits/index.ts';
import { createEdgeMetrics } from '../../services/edge/src/metrics.ts';
import type { Transport, TransportEvents } from '../../services/edge/src/transport/transport.ts';

/** One case taking longer than this is a hang. */
export const HANG_MS = 2000;

const STREAM_OPEN = "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='localhost' version='1.0'>";

/** Pieces of XML that parsers get wrong: declarations, entities, CDATA, odd characters, namespaces. */
const TOKENS = [
  '<', '>', '</', '/>', '=', "'", '"', '&', ';', ':', ' ', '\n', '\t',
  '<message>', '</message>', "<message to='a@localhost' type='chat'>", '<body>', '</body>', "<iq type='get' id='1'>", '</iq>', '<presence/>',
  "<iq type='set' id='b'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>",
  '<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">]>', '<!ENTITY b "&a;&a;">', '&a;', '&amp;', '&lt;', '&#0;', '&#x110000;', '&#xD800;', '&#65;', '&foo;',
  '<![CDATA[', ']]>', '<?pi data?>', '<?xml version="1.0"?>', '<!--', '-->', '<!-- c -->',
  "xmlns='jabber:client'", "xmlns:x='urn:x'", "xmlns:stream='http://etherx.jabber.org/streams'", '<x:y>', '</x:y>', 'xml:lang="en"', 'xmlns=""',
  STREAM_OPEN, '</stream:stream>', '<stream:features/>', "<stream:error><not-well-formed xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>",
  '\u0000', '\u0001', '\u0085', '\uFFFE', '\uFFFF', '\uD800', '\uDC00', '\u202E', '😀', 'é',
];

const xmlish = fc.array(fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...TOKENS) }, { weight: 2, arbitrary: fc.string({ maxLength: 12 }) }, { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 8 }) }), { maxLength: 60 }).map((a) => a.join(''));

/** A document: usually a valid stream header first, then XML-ish text, split into chunks at random points. */
export const documents = fc
  .tuple(fc.boolean(), xmlish, fc.array(fc.nat(), { maxLength: 6 }), fc.boolean(), fc.nat({ max: 40 }))
  .map(([header, body, cuts, asBytes, depth]) => {
    const text = (header ? STREAM_OPEN : '') + '<a>'.repeat(depth % 3 === 0 ? depth : 0) + body;
    const data: Buffer | string = asBytes ? Buffer.from(text, 'utf8') : text;
    const points = [...new Set(cuts.map((c) => c % (data.length + 1)))].sort((x, y) => x - y);
    const chunks: Array<Buffer | string> = [];
    let last = 0;
    for (const p of points) {
      chunks.push(data.slice(last, p));
      last = p;
    }
    chunks.push(data.slice(last));
    return chunks;
  });

/** Random bytes, invalid UTF-8 included. */
export const rawBytes = fc.uint8Array({ maxLength: 200 }).map((b) => [Buffer.from(b)]);

export const parserInput = fc.oneof({ weight: 4, arbitrary: documents }, { weight: 1, arbitrary: rawBytes });

/** The parser never throws out of write(): everything bad is reported through onError, once. */
export function parserProperty() {
  return fc.property(parserInput, (chunks) => {
    const t0 = performance.now();
    let errors = 0;
    const p = new StreamParser(
      {
        onStreamStart: () => {},
        onStanza: () => {},
        onStreamEnd: () => {},
        onError: (e) => {
          if (!(e instanceof XmlError)) throw new Error(`onError got ${String(e)}`);
          errors++;
        },
      },
      { maxStanzaBytes: 10_000 },
    );
    for (const c of chunks) p.write(c);
    if (errors > 1) throw new Error(`onError called ${errors} times`);
    // One WebSocket frame (RFC 7395) is parsed on its own: only XmlError may come out.
    const text = chunks.map((c) => c.toString()).join('');
    try {
      parseFragment(text, { maxStanzaBytes: 10_000 });
    } catch (e) {
      if (!(e instanceof XmlError)) throw e;
    }
    if (performance.now() - t0 > HANG_MS) throw new Error('parser hang');
  });
}

// ---- SASL ------------------------------------------------------------------------------------

const MECHANISMS = ['PLAIN', 'SCRAM-SHA-1', 'SCRAM-SHA-256', 'SCRAM-SHA-512', 'SCRAM-SHA-1-PLUS', 'SCRAM-SHA-256-PLUS'];

let credentials: Promise<ScramCredential[]> | null = null;
function juliet(): Promise<ScramCredential[]> {
  credentials ??= deriveAllCredentials('r0m30', 4096);
  return credentials;
}

/** Client messages that look like SCRAM and PLAIN, with the fields that matter mutated. */
const saslMessage = fc.oneof(
  fc.constantFrom('', '=', 'n,,', 'n,,n=juliet,r=abc', 'y,,n=juliet,r=abc', 'p=tls-exporter,,n=juliet,r=abc', 'n,a=juliet@localhost,n=juliet,r=x', 'n,,n=ju=2Cliet,r=', 'n,,n=,r=', 'c=biws,r=abc,p=AAAA'),
  fc.tuple(fc.constantFrom('n', 'y', 'p=tls-exporter', 'p=x', ''), fc.string({ maxLength: 10 }), fc.string({ maxLength: 10 }), fc.string({ maxLength: 10 })).map(([g, a, n, r]) => `${g},${a},n=${n},r=${r}`),
  fc.tuple(fc.string({ maxLength: 10 }), fc.constantFrom('juliet', 'nobody', '', 'JULIET', 'ju\u0000liet'), fc.string({ maxLength: 16 })).map(([z, c, pw]) => `${z}\0${c}\0${pw}`),
  fc.tuple(fc.string({ maxLength: 30 }), fc.string({ maxLength: 30 })).map(([r, p]) => `c=biws,r=${r},p=${p}`),
  fc.string({ unit: 'binary', maxLength: 80 }),
);

/** Any exchange of random client messages ends in a challenge, a failure, or (never, here) a success; nothing throws. */
export function saslProperty() {
  return fc.asyncProperty(fc.constantFrom(...MECHANISMS), fc.option(saslMessage), fc.array(saslMessage, { maxLength: 3 }), async (mechanism, initial, steps) => {
    const creds = await juliet();
    const session = createSaslSession(mechanism, {
      tls: true,
      channelBinding: () => Buffer.alloc(32, 7),
      lookup: async (user, hash: ScramHash) => (user === 'juliet' ? (creds.find((c) => c.hash === hash) ?? null) : null),
      fakeSaltSecret: Buffer.alloc(32, 1),
      domain: 'localhost',
      defaultIterations: 4096,
    });
    if (!session) return;
    const t0 = performance.now();
    let step = await session.start(initial === null ? null : Buffer.from(initial, 'binary'));
    for (const s of steps) {
      if (step.kind !== 'challenge') break;
      step = await session.step(Buffer.from(s, 'binary'));
    }
    if (step.kind === 'success') throw new Error(`random input authenticated: ${mechanism}`);
    if (performance.now() - t0 > HANG_MS) throw new Error('sasl hang');
  });
}

// ---- the c2s state machine ---------------------------------------------------------------------

class FakeTransport implements Transport {
  readonly framing = 'stream' as const;
  readonly kind = 'tcp' as const;
  readonly remoteAddress = '192.0.2.1';
  readonly out: string[] = [];
  closed = false;
  ev: TransportEvents | null = null;
  secure = () => true;
  canStartTls = () => false;
  startTls = async () => {};
  channelBinding = () => undefined;
  clientCertificate = () => null;
  tlsInfo = () => null;
  setEvents(ev: TransportEvents): void {
    this.ev = ev;
  }
  write(data: string): void {
    if (this.closed) throw new Error('write after close');
    this.out.push(data);
  }
  pause(): void {}
  resume(): void {}
  close(): void {
    this.closed = true;
  }
  writeBacklog(): number {
    return 0;
  }
}

/** Elements a client may send at any point of negotiation, valid and not. */
const C2S_PIECES = [
  STREAM_OPEN,
  "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>",
  "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>AGp1bGlldAByMG0zMA==</auth>",
  "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>AGp1bGlldAB3cm9uZw==</auth>",
  "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='SCRAM-SHA-256'>biwsbj1qdWxpZXQscj1hYmM=</auth>",
  "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='X-NONE'/>",
  "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>!!!</auth>",
  "<response xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>Yz1iaXdzLHI9YWJjLHA9QUFBQQ==</response>",
  "<abort xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>",
  "<iq type='set' id='b1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>r</resource></bind></iq>",
  "<iq type='set' id='s1'><session xmlns='urn:ietf:params:xml:ns:xmpp-session'/></iq>",
  "<iq type='get' id='p1' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>",
  "<iq type='get' id='bad'/>",
  "<message to='romeo@localhost' type='chat'><body>hi</body></message>",
  "<message from='mallory@localhost/x' to='romeo@localhost'><body>spoof</body></message>",
  "<presence/>",
  "<presence type='subscribe' to='romeo@localhost'/>",
  "<presence type='bogus'/>",
  "<enable xmlns='urn:xmpp:sm:3' resume='true'/>",
  "<r xmlns='urn:xmpp:sm:3'/>",
  "<a xmlns='urn:xmpp:sm:3' h='4294967295'/>",
  "<resume xmlns='urn:xmpp:sm:3' previd='x' h='0'/>",
  '<unknown xmlns="urn:x"/>',
  ' ',
  '</stream:stream>',
];

export const c2sInput = fc.array(fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...C2S_PIECES) }, { weight: 1, arbitrary: xmlish }), { maxLength: 12 });

const quietLog: Logger = { debug() {}, info() {}, warn() {}, error() {}, child: () => quietLog, level: 'silent' };

/** One edge context for every case: stores and actors are stubs, the limits and modules are real. */
export function fuzzEdge() {
  const config = { ...defaultConfig(), domain: 'localhost', requireTls: false, limitConnectionsPerSec: 1_000_000, limitUnauthenticated: 1_000_000, limitStanzasPerSec: 1_000_000, limitAccountStanzasPerSec: 1_000_000, authFailuresBeforeDelay: 1000 };
  const registry = new Registry();
  const internalErrors: string[] = [];
  const log: Logger = {
    ...quietLog,
    error: (msg, fields) => internalErrors.push(`${msg} ${JSON.stringify(fields ?? {}, (_k, v) => (v instanceof Error ? v.stack : v))}`),
    child: () => log,
  };
  const ctx: EdgeContext = {
    config,
    log,
    edgeId: 'fuzz',
    store: { users: { getCredential: async (user: string, _d: string, hash: ScramHash) => (user === 'juliet' ? ((await juliet()).find((c) => c.hash === hash) ?? null) : null) } as never, fastTokens: {} as never, invitations: {} as never, clientCerts: {} as never, loginHistory: { record: async () => {}, known: async () => ({ ips: [], clientKeys: [] }), settings: async () => ({ multiLogin: null, idleTimeoutSec: null }), takeAlerts: async () => [] } as never },
    location: { register: async () => ({ ok: true }), unregister: async () => {}, update: async () => {}, replace: async () => ({ ok: true }), resources: async () => [] } as never,
    fakeSaltSecret: Buffer.alloc(32, 2),
    metrics: createEdgeMetrics(registry),
    limits: createEdgeLimits(config, quietLog, registry),
    ext: loadModules(defaultModules({ serverVersion: 'fuzz', offlineQuota: 10 })).edge,
    register: () => {},
    connectionClosed: async () => {},
    sessionsGone: () => {},
    route: async () => {},
    kick: () => {},
    acknowledged: () => {},
    tell: () => {},
    revokeCredential: () => {},
  };
  return { ctx, internalErrors };
}

/** Random element sequences through a real C2SConnection: no throw, no internal-server-error, nothing written after close. */
export function c2sProperty(edge = fuzzEdge()) {
  return fc.asyncProperty(c2sInput, fc.array(fc.nat(), { maxLength: 4 }), async (pieces, cuts) => {
    const t = new FakeTransport();
    const conn = new C2SConnection(edge.ctx, t);
    const text = pieces.join('');
    const points = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
    let last = 0;
    const t0 = performance.now();
    for (const p of [...points, text.length]) {
      t.ev?.data(text.slice(last, p));
      last = p;
      // Let SASL and bind (asynchronous steps) finish before the next chunk, as a network would.
      for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
    }
    conn.close(true);
    await conn.teardown();
    if (edge.internalErrors.length > 0) throw new Error(`internal error: ${edge.internalErrors.splice(0).join('; ')}`);
    if (t.out.some((o) => o.includes('internal-server-error'))) throw new Error(`answered internal-server-error to ${JSON.stringify(text)}`);
    if (performance.now() - t0 > HANG_MS * 5) throw new Error('c2s hang');
  });
}
