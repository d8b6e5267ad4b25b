// A deliberately small XMPP client over a raw socket, for sending what real clients never send.
// It reads with Parley's own StreamParser (the server's output is plain restricted XML) and logs in
// with SCRAM-SHA-256 after STARTTLS, so a test controls every byte of the stream.
import { randomBytes } from 'node:crypto';
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { type Element, StreamParser, xml } from '@parley/xml';
import { DEFAULT_TIMEOUT_MS, Inbox } from './inbox.ts';
import { ScramClient } from './scram.ts';

import { NS } from '@parley/stanza';

export { NS };

export interface HeaderOptions {
  to?: string;
  xmlns?: string;
  streamNs?: string;
  version?: string;
}

export function streamHeader(o: HeaderOptions = {}): string {
  const to = o.to === undefined ? '' : ` to='${o.to}'`;
  return `<?xml version='1.0'?><stream:stream xmlns='${o.xmlns ?? NS.client}' xmlns:stream='${o.streamNs ?? NS.stream}'${to} version='${o.version ?? '1.0'}'>`;
}

export class RawClient {
  readonly inbox = new Inbox<Element>('raw client', (e) => e.toString());
  /** Attributes of the server's current stream header. */
  header: Record<string, string> | null = null;
  jid = '';
  private socket: Socket | TLSSocket;
  private readonly parser: StreamParser;
  private closedResolve!: () => void;
  /** Resolves when the server closes the TCP connection. */
  readonly closed: Promise<void> = new Promise((r) => {
    this.closedResolve = r;
  });
  private ended = false;

  private constructor(
    socket: Socket,
    readonly domain: string,
  ) {
    this.socket = socket;
    this.parser = new StreamParser(
      {
        onStreamStart: (_name, attrs) => {
          this.header = attrs;
        },
        onStanza: (el) => this.inbox.push(el),
        onStreamEnd: () => {
          this.ended = true;
        },
        onError: (err) => this.inbox.close(`server sent unparsable XML: ${err.message}`),
      },
      { maxStanzaBytes: 16 * 1024 * 1024 },
    );
    this.attach(socket);
  }

  /** `localAddress` (e.g. 127.0.0.2) makes the client come from another address. */
  static async open(port: number, domain = 'localhost', localAddress?: string): Promise<RawClient> {
    const socket = netConnect({ host: '127.0.0.1', port, localAddress });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    return new RawClient(socket, domain);
  }

  /** Connects, STARTTLS, SCRAM-SHA-256, binds `resource`. */
  static async login(port: number, username: string, password: string, resource = 'raw', domain = 'localhost', localAddress?: string): Promise<RawClient> {
    const c = await RawClient.open(port, domain, localAddress);
    await c.startStream();
    await c.starttls();
    const r = await c.authenticate(username, password);
    if (r !== 'success') throw new Error(`login of ${username} failed: ${r}`);
    await c.bind(resource);
    return c;
  }

  private attach(socket: Socket | TLSSocket): void {
    socket.on('data', (chunk: Buffer) => this.parser.write(chunk));
    socket.on('error', () => {});
    socket.on('close', () => {
      this.inbox.close('connection closed');
      this.closedResolve();
    });
  }

  get streamEnded(): boolean {
    return this.ended;
  }

  send(data: string | Buffer | Element): void {
    this.socket.write(typeof data === 'string' || Buffer.isBuffer(data) ? data : data.toString());
  }

  next(pred: (el: Element) => boolean, what: string, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<Element> {
    return this.inbox.next(pred, what, timeoutMs);
  }

  /** Sends a stream header and waits for the features. */
  async startStream(opts: HeaderOptions = {}): Promise<Element> {
    this.send(streamHeader({ to: this.domain, ...opts }));
    return this.next((e) => e.is('features', NS.stream), 'stream features');
  }

  /** STARTTLS and the stream restart; resolves with the features of the secured stream. */
  async starttls(): Promise<Element> {
    this.send(xml('starttls', { xmlns: NS.tls }));
    await this.next((e) => e.is('proceed', NS.tls), 'STARTTLS proceed');
    const plain = this.socket;
    plain.removeAllListeners('data');
    plain.removeAllListeners('close');
    // The embedded server's certificate is self-signed; this client checks protocol, not PKI.
    const secure = tlsConnect({ socket: plain, servername: this.domain, rejectUnauthorized: false });
    await new Promise<void>((resolve, reject) => {
      secure.once('secureConnect', resolve);
      secure.once('error', reject);
    });
    this.socket = secure;
    this.parser.reset();
    this.attach(secure);
    return this.startStream();
  }

  /** The server-first-message of the last SCRAM exchange. */
  serverFirst = '';
  /** The last SASL <failure/> element. */
  saslFailure: Element | null = null;

  /** SCRAM-SHA-256; returns 'success' or the SASL failure condition. */
  async authenticate(username: string, password: string): Promise<string> {
    const scram = new ScramClient('sha256', username, password);
    this.send(xml('auth', { xmlns: NS.sasl, mechanism: scram.mechanism }, b64(scram.clientFirst())));
    const challenge = await this.next((e) => e.getNS() === NS.sasl && (e.name === 'challenge' || e.name === 'failure'), 'SASL challenge');
    if (challenge.name === 'failure') return this.failed(challenge);
    this.serverFirst = unb64(challenge.text());
    this.send(xml('response', { xmlns: NS.sasl }, b64(scram.clientFinal(this.serverFirst))));
    const outcome = await this.next((e) => e.getNS() === NS.sasl && (e.name === 'success' || e.name === 'failure'), 'SASL outcome');
    if (outcome.name === 'failure') return this.failed(outcome);
    if (!scram.verifyServerFinal(unb64(outcome.text()))) throw new Error('server signature did not verify');
    this.parser.reset();
    await this.startStream();
    return 'success';
  }

  private failed(failure: Element): string {
    this.saslFailure = failure;
    return saslCondition(failure);
  }

  async bind(resource: string): Promise<string> {
    const id = newId();
    this.send(xml('iq', { type: 'set', id }, xml('bind', { xmlns: NS.bind }, xml('resource', null, resource))));
    const reply = await this.next((e) => e.is('iq') && e.attr('id') === id, 'bind result');
    const jid = reply.getChild('bind', NS.bind)?.getChildText('jid');
    if (reply.attr('type') !== 'result' || !jid) throw new Error(`bind failed: ${reply.toString()}`);
    this.jid = jid;
    return jid;
  }

  /** Sends an IQ and waits for the reply with the same id. */
  async iq(el: Element, what = 'IQ reply'): Promise<Element> {
    const id = el.attr('id') ?? newId();
    el.setAttr('id', id);
    this.send(el);
    return this.next((e) => e.is('iq') && e.attr('id') === id, what);
  }

  /** XEP-0199 ping to the server: a round trip through the edge and this account's session actor. */
  async ping(): Promise<void> {
    const reply = await this.iq(xml('iq', { type: 'get', to: this.domain }, xml('ping', { xmlns: NS.ping })), 'ping result');
    if (reply.attr('type') !== 'result') throw new Error(`ping failed: ${reply.toString()}`);
  }

  async rosterGet(): Promise<Element> {
    return this.iq(xml('iq', { type: 'get' }, xml('query', { xmlns: NS.roster })), 'roster result');
  }

  /** Waits for a stream error and the close of the connection; returns the error condition. */
  async streamError(timeoutMs = DEFAULT_TIMEOUT_MS): Promise<string> {
    const err = await this.next((e) => e.is('error', NS.stream), 'a stream error', timeoutMs);
    const condition = err.getChildElements().find((c) => c.getNS() === NS.streams && c.name !== 'text');
    await withTimeout(this.closed, timeoutMs, 'the server to close the connection');
    return condition?.name ?? '(none)';
  }

  close(): void {
    if (!this.socket.destroyed) this.socket.end('</stream:stream>');
  }
}

export function newId(): string {
  return randomBytes(6).toString('hex');
}

/** The defined condition of a stanza error (RFC 6120 §8.3). */
export function stanzaErrorCondition(el: Element): string | undefined {
  return el
    .getChild('error')
    ?.getChildElements()
    .find((c) => c.getNS() === NS.stanzas && c.name !== 'text')?.name;
}

function saslCondition(failure: Element): string {
  return failure.getChildElements().find((c) => c.name !== 'text')?.name ?? '(none)';
}

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
const unb64 = (s: string) => Buffer.from(s, 'base64').toString('utf8');

export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
    }),
  ]);
}
