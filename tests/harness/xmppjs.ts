// xmpp.js (@xmpp/client from npm) as a test participant, over STARTTLS, direct TLS or WebSocket.
import tls, { type ConnectionOptions, type TLSSocket } from 'node:tls';
import { client, type Client, type XmlElement, xml } from '@xmpp/client';
import WebSocket from 'ws';
import { DEFAULT_TIMEOUT_MS, Inbox } from './inbox.ts';
import { withTimeout } from './raw.ts';
import { type ScramHash, mechanismName, xmppJsScramMechanism } from './scram.ts';

export { xml, type XmlElement };


// Node 20 has no global WebSocket; xmpp.js expects the WHATWG API, which `ws` implements.
const g = globalThis as { WebSocket?: unknown };
g.WebSocket ??= WebSocket;

/**
 * xmpp.js cannot be given TLS options, and the embedded server's certificate is self-signed. Instead
 * of turning verification off for the whole process, connections to the test domain are pinned to
 * the server's certificate fingerprint (what a careful user of a self-signed server does).
 */
const pins = new Map<string, string>();
let patched = false;
function pinCertificate(domain: string, fingerprint256: string): void {
  pins.set(domain, fingerprint256);
  if (patched) return;
  patched = true;
  const original = tls.connect;
  const patchedConnect = (...args: unknown[]): TLSSocket => {
    const opts = args[0] as ConnectionOptions | undefined;
    const pin = opts && typeof opts === 'object' && opts.rejectUnauthorized === undefined ? pins.get(opts.host ?? opts.servername ?? '') : undefined;
    if (!opts || pin === undefined) return (original as (...a: unknown[]) => TLSSocket)(...args);
    const sock = original({ ...opts, rejectUnauthorized: false }, ...(args.slice(1) as []));
    sock.once('secureConnect', () => {
      if (sock.getPeerCertificate().fingerprint256 !== pin) sock.destroy(new Error('server certificate does not match the pinned fingerprint'));
    });
    return sock;
  };
  (tls as { connect: unknown }).connect = patchedConnect;
}

export interface XmppJsOptions {
  /** `xmpp://127.0.0.1:<c2s>` (STARTTLS), `xmpps://127.0.0.1:<c2sTls>` (direct TLS) or `ws://127.0.0.1:<http>/xmpp-websocket`. */
  service: string;
  domain: string;
  username: string;
  password: string;
  resource?: string;
  /** SHA-256 fingerprint of the server certificate, for TLS connections. */
  fingerprint?: string;
  /** SCRAM hash to prefer: xmpp.js ships SCRAM-SHA-1; SHA-256 and SHA-512 come from tests/harness/scram.ts. */
  scram?: ScramHash;
  /**
   * Use XEP-0388 SASL2 (with Bind2 and FAST) when offered. Off by default: with Bind2 the server
   * chooses the resource (XEP-0386 §3), and most tests address clients by the resource they asked for.
   */
  sasl2?: boolean;
  /** XEP-0388 <user-agent id=…/> to send (xmpp.js makes a random one otherwise). */
  userAgent?: XmlElement;
  /** Called on the xmpp.js client before it starts (e.g. to hand it a stored FAST token). */
  setup?: (xmpp: Client) => void;
}

export class XmppJsClient {
  readonly inbox = new Inbox<XmlElement>('xmpp.js', (e) => e.toString());
  /** Stream errors and other failures the client reported. */
  readonly errors = new Inbox<Error & { condition?: string }>('xmpp.js errors', (e) => `${e.name}: ${e.condition ?? e.message}`);
  /** The SASL mechanism the client authenticated with. */
  mechanism = '';
  /** Every element the client sent and received, serialized (stanzas and nonzas). */
  readonly sent: string[] = [];
  readonly received: string[] = [];
  jid = '';

  private constructor(readonly xmpp: Client) {}

  static async connect(o: XmppJsOptions): Promise<XmppJsClient> {
    if (o.fingerprint) pinCertificate(o.domain, o.fingerprint);
    // XEP-0368 direct TLS: xmpp.js connects to the service's host without a server name.
    if (o.fingerprint && o.service.startsWith('xmpps://')) pinCertificate(new URL(o.service).hostname, o.fingerprint);
    const xmpp = client({ service: o.service, domain: o.domain, username: o.username, password: o.password, resource: o.resource, userAgent: o.userAgent });
    xmpp.reconnect.stop(); // a kicked test client must stay kicked
    // xmpp.js gives each negotiation step 2 s; a loaded CI machine running tests in parallel can be slower.
    xmpp.timeout = 10_000;
    const hash = o.scram ?? 'sha256';
    if (hash !== 'sha1') xmpp.saslFactory._mechs.unshift({ name: mechanismName(hash), mech: xmppJsScramMechanism(hash) });
    if (!o.sasl2) hideSasl2(xmpp);
    o.setup?.(xmpp);
    const c = new XmppJsClient(xmpp);
    xmpp.on('send', (el) => {
      c.sent.push(el.toString());
      if (el.is('auth', 'urn:ietf:params:xml:ns:xmpp-sasl') || el.is('authenticate', 'urn:xmpp:sasl:2')) c.mechanism = el.attrs.mechanism ?? '';
    });
    xmpp.on('element', (el) => c.received.push(el.toString()));
    xmpp.on('stanza', (el) => c.inbox.push(el));
    xmpp.on('error', (err) => c.errors.push(err));
    xmpp.on('offline', () => c.inbox.close('offline'));
    // RFC 6121 §2.1.6: acknowledge roster pushes (they also reach the inbox as stanzas).
    xmpp.iqCallee.set('jabber:iq:roster', 'query', () => ({}) as never);
    const jid = await withTimeout(xmpp.start(), 10_000, `${o.username} to log in with xmpp.js`).catch(async (err) => {
      await xmpp.stop().catch(() => {});
      throw err;
    });
    c.jid = jid.toString();
    return c;
  }

  send(el: XmlElement): Promise<void> {
    return this.xmpp.send(el);
  }

  /** An IQ round trip; resolves with the result, rejects with the StanzaError of an error reply. */
  iq(el: XmlElement, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<XmlElement> {
    return this.xmpp.iqCaller.request(el, timeoutMs);
  }

  async ping(to?: string): Promise<void> {
    await this.iq(xml('iq', { type: 'get', to }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
  }

  async rosterGet(): Promise<XmlElement> {
    return this.iq(xml('iq', { type: 'get' }, xml('query', { xmlns: 'jabber:iq:roster' })));
  }

  next(pred: (el: XmlElement) => boolean, what: string, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<XmlElement> {
    return this.inbox.next(pred, what, timeoutMs);
  }

  presence(from: string, type: string | undefined, what: string): Promise<XmlElement> {
    return this.next((e) => e.is('presence') && (e.attrs.from ?? '').startsWith(from) && e.attrs.type === type, what);
  }

  message(from: string, what: string): Promise<XmlElement> {
    return this.next((e) => e.is('message') && (e.attrs.from ?? '').startsWith(from), what);
  }

  /** The condition of the next stream error the server sent this client. */
  async streamError(what = 'a stream error'): Promise<string> {
    const err = await this.errors.next((e) => e.name === 'StreamError', what);
    return err.condition ?? '(none)';
  }

  async stop(): Promise<void> {
    if (this.xmpp.status === 'offline' || this.xmpp.status === 'disconnect') return;
    await this.xmpp.stop().catch(() => {});
  }
}

/** xmpp.js 0.14 prefers SASL2 whenever offered: hide the feature before its middleware sees it. */
function hideSasl2(xmpp: Client): void {
  xmpp.prependListener('element', (el: XmlElement) => {
    if (!el.is('features', 'http://etherx.jabber.org/streams')) return;
    el.children = el.children.filter((c) => typeof c === 'string' || !c.is('authentication', 'urn:xmpp:sasl:2'));
  });
}
