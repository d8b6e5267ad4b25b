// One XMPP client connection: stream negotiation (STARTTLS, SASL, bind, session), then the
// scenario's stanzas. The negotiation is a sequence of typed states, each awaited with a timeout.
import { type Element, StreamParser, parseFragment } from '@parley/xml';
import { type Mechanism, chooseMechanism, saslClient } from './sasl.ts';
import { connectTcp, connectTls } from './tcp.ts';
import type { Endpoint, TlsOptions, Transport, TransportKind } from './transport.ts';
import { connectWebSocket } from './websocket.ts';
import { NS, escapeXml, localName } from './xmlText.ts';

export type ConnectionState =
  | { kind: 'idle' }
  | { kind: 'connecting' }
  | { kind: 'negotiating'; step: 'stream' | 'starttls' | 'sasl' | 'bind' | 'session' | 'roster' }
  | { kind: 'online'; jid: string }
  | { kind: 'closed'; error?: LoadError };

/** A failure with a stable kind, used to count errors by kind in the report. */
export class LoadError extends Error {
  constructor(
    readonly kind: string,
    message: string,
  ) {
    super(message);
  }
}

export interface ConnectionOptions {
  endpoint: Endpoint;
  transport: TransportKind;
  domain: string;
  username: string;
  password: string;
  resource: string;
  mechanism: Mechanism | 'auto';
  tls: TlsOptions;
  /** Per negotiation step. */
  timeoutMs: number;
  fetchRoster: boolean;
  sendInitialPresence: boolean;
}

export interface ConnectionTimings {
  /** ms from start to transport open. */
  connect: number;
  /** ms from the first <auth/> to <success/>. */
  auth: number;
  /** ms from start to online. */
  total: number;
}

export interface ConnectionHandlers {
  /** Every stanza received once online. */
  stanza(el: Element): void;
  /** The connection ended; `error` is undefined for a close we asked for. */
  closed(error?: LoadError): void;
}

export class Connection {
  state: ConnectionState = { kind: 'idle' };
  jid = '';
  roster: Element | undefined;
  timings: ConnectionTimings = { connect: 0, auth: 0, total: 0 };
  private transport: Transport | undefined;
  private parser: StreamParser | undefined;
  private waiter: { accept(el: Element): boolean; resolve(el: Element): void; reject(e: LoadError): void } | undefined;
  private inbox: Element[] = [];
  private closing = false;
  private idCounter = 0;
  handlers: ConnectionHandlers = { stanza: () => {}, closed: () => {} };

  constructor(readonly opts: ConnectionOptions) {}

  /** Connects and negotiates up to an online session; rejects with a LoadError. */
  async open(): Promise<void> {
    const t0 = performance.now();
    const o = this.opts;
    this.state = { kind: 'connecting' };
    const events = {
      data: (text: string) => this.onData(text),
      close: (err?: Error) => this.onTransportClose(err),
    };
    try {
      if (o.transport === 'ws' || o.transport === 'wss') {
        this.transport = await connectWebSocket(o.endpoint, o.transport === 'wss', o.tls, events, o.timeoutMs);
      } else if (o.transport === 'tls') {
        this.transport = await connectTls(o.endpoint, o.tls, events, o.timeoutMs);
      } else {
        this.transport = await connectTcp(o.endpoint, events, o.timeoutMs);
      }
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      throw this.fail(new LoadError(`connect:${e.code ?? 'error'}`, e.message));
    }
    this.timings.connect = performance.now() - t0;
    try {
      let features = await this.openStream();
      if (o.transport === 'starttls') {
        if (!features.getChild('starttls', NS.tls)) throw new LoadError('starttls-unavailable', 'no <starttls/> offered');
        this.state = { kind: 'negotiating', step: 'starttls' };
        this.send(`<starttls xmlns='${NS.tls}'/>`);
        const r = await this.next((el) => localName(el.name) === 'proceed' || localName(el.name) === 'failure');
        if (localName(r.name) !== 'proceed') throw new LoadError('starttls-failed', 'server refused STARTTLS');
        try {
          await this.transport.startTls!(o.tls);
        } catch (err) {
          throw new LoadError('tls', (err as Error).message);
        }
        features = await this.openStream();
      }
      await this.authenticate(features);
      features = await this.openStream();
      await this.bind(features);
      if (o.fetchRoster) {
        this.state = { kind: 'negotiating', step: 'roster' };
        this.roster = await this.iq(`<query xmlns='${NS.roster}'/>`, 'get', 'roster');
      }
      if (o.sendInitialPresence) this.send('<presence/>');
    } catch (err) {
      const e = err instanceof LoadError ? err : new LoadError('protocol', String((err as Error).message));
      throw this.fail(e);
    }
    this.timings.total = performance.now() - t0;
    this.state = { kind: 'online', jid: this.jid };
    // Stanzas that arrived before the scenario installed its handler are delivered now.
    const early = this.inbox;
    this.inbox = [];
    for (const el of early) this.handlers.stanza(el);
  }

  private async openStream(): Promise<Element> {
    this.state = { kind: 'negotiating', step: 'stream' };
    const t = this.transport!;
    const to = escapeXml(this.opts.domain);
    if (t.framed) {
      this.send(`<open xmlns='${NS.framing}' to='${to}' version='1.0'/>`);
    } else {
      this.parser = this.newParser();
      this.send(
        `<?xml version='1.0'?><stream:stream to='${to}' version='1.0' xmlns='${NS.client}' xmlns:stream='${NS.stream}'>`,
      );
    }
    return this.next((el) => localName(el.name) === 'features');
  }

  private async authenticate(features: Element): Promise<void> {
    this.state = { kind: 'negotiating', step: 'sasl' };
    const mechs = features.getChild('mechanisms', NS.sasl);
    const offered = (mechs?.children ?? [])
      .filter((c): c is Element => typeof c !== 'string' && localName(c.name) === 'mechanism')
      .map((c) => c.text().trim());
    const mech = chooseMechanism(offered, this.opts.mechanism);
    if (!mech) throw new LoadError('sasl-mechanism', `no usable mechanism in [${offered.join(' ')}]`);
    const client = saslClient(mech, this.opts.username, this.opts.password);
    const t0 = performance.now();
    this.send(`<auth xmlns='${NS.sasl}' mechanism='${mech}'>${client.initial().toString('base64') || '='}</auth>`);
    for (;;) {
      const el = await this.next((e) => ['challenge', 'success', 'failure'].includes(localName(e.name)));
      const name = localName(el.name);
      const data = Buffer.from(el.text().trim() === '=' ? '' : el.text().trim(), 'base64');
      if (name === 'challenge') {
        let resp: Buffer;
        try {
          resp = client.challenge(data);
        } catch (err) {
          this.send(`<abort xmlns='${NS.sasl}'/>`);
          throw new LoadError('sasl-protocol', (err as Error).message);
        }
        this.send(`<response xmlns='${NS.sasl}'>${resp.toString('base64')}</response>`);
      } else if (name === 'success') {
        try {
          client.success(data);
        } catch (err) {
          throw new LoadError('sasl-server-proof', (err as Error).message);
        }
        this.timings.auth = performance.now() - t0;
        return;
      } else {
        const cond = el.children.find((c): c is Element => typeof c !== 'string' && localName(c.name) !== 'text');
        throw new LoadError(`auth:${cond ? localName(cond.name) : 'failure'}`, `SASL ${mech} failed`);
      }
    }
  }

  private async bind(features: Element): Promise<void> {
    this.state = { kind: 'negotiating', step: 'bind' };
    if (!features.getChild('bind', NS.bind)) throw new LoadError('bind-unavailable', 'no <bind/> offered');
    const res = await this.iq(
      `<bind xmlns='${NS.bind}'><resource>${escapeXml(this.opts.resource)}</resource></bind>`,
      'set',
      'bind',
    );
    this.jid = res.getChild('bind', NS.bind)?.getChildText('jid') ?? '';
    if (!this.jid) throw new LoadError('bind', 'bind result without a JID');
    // RFC 3921 §3 session establishment, still required by servers that do not mark it <optional/>.
    const session = features.getChild('session', NS.session);
    if (session && !session.getChild('optional')) {
      this.state = { kind: 'negotiating', step: 'session' };
      await this.iq(`<session xmlns='${NS.session}'/>`, 'set', 'session');
    }
  }

  /** Sends an IQ during negotiation and waits for its result. */
  private async iq(payload: string, type: 'get' | 'set', kind: string): Promise<Element> {
    const id = `n${++this.idCounter}`;
    this.send(`<iq type='${type}' id='${id}'>${payload}</iq>`);
    const r = await this.next((el) => el.name === 'iq' && el.attr('id') === id);
    if (r.attr('type') !== 'result') throw new LoadError(`${kind}:${stanzaErrorCondition(r)}`, `${kind} failed`);
    return r;
  }

  nextId(): string {
    return `l${++this.idCounter}`;
  }

  send(text: string): void {
    const t = this.transport;
    if (!t) return;
    // RFC 7395 §3.3.3: framed stanzas carry their own xmlns='jabber:client'.
    const m = t.framed ? /^<(message|presence|iq)[ />]/.exec(text) : null;
    if (m) {
      const at = m[1]!.length + 1;
      text = `${text.slice(0, at)} xmlns='${NS.client}'${text.slice(at)}`;
    }
    t.send(text);
  }

  pending(): number {
    return this.transport?.pending() ?? 0;
  }

  /** Closes the stream politely (RFC 6120 §4.4); the handlers see no error. */
  close(): void {
    if (this.closing || !this.transport) return;
    this.closing = true;
    this.send(this.transport.framed ? `<close xmlns='${NS.framing}'/>` : '</stream:stream>');
    this.transport.close();
  }

  /** Waits for the next element matching `accept`, failing on timeout, close or stream error. */
  private next(accept: (el: Element) => boolean): Promise<Element> {
    const step = this.state.kind === 'negotiating' ? this.state.step : this.state.kind;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        reject(new LoadError(`timeout:${step}`, `no answer during ${step}`));
      }, this.opts.timeoutMs);
      this.waiter = {
        accept,
        resolve: (el) => {
          clearTimeout(timer);
          resolve(el);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
    });
  }

  private newParser(): StreamParser {
    return new StreamParser({
      onStreamStart: () => {},
      onStanza: (el) => this.onElement(el),
      onStreamEnd: () => this.onStreamEnd(),
      onError: (err) => this.abort(new LoadError('xml', err.message)),
    });
  }

  private onData(text: string): void {
    if (this.transport?.framed) {
      let el: Element;
      try {
        el = parseFragment(framedText(text));
      } catch (err) {
        this.abort(new LoadError('xml', (err as Error).message));
        return;
      }
      const name = localName(el.name);
      if (name === 'open' && el.attr('xmlns') === NS.framing) return;
      if (name === 'close' && el.attr('xmlns') === NS.framing) {
        this.onStreamEnd();
        return;
      }
      this.onElement(el);
    } else {
      this.parser?.write(text);
    }
  }

  private onElement(el: Element): void {
    if (el.name === 'stream:error' || (localName(el.name) === 'error' && el.attr('xmlns') === NS.stream)) {
      const cond = el.children.find((c): c is Element => typeof c !== 'string' && localName(c.name) !== 'text');
      this.abort(new LoadError(`stream-error:${cond ? localName(cond.name) : 'unknown'}`, 'stream error'));
      return;
    }
    const w = this.waiter;
    if (w?.accept(el)) {
      this.waiter = undefined;
      w.resolve(el);
      return;
    }
    if (this.state.kind === 'online') this.handlers.stanza(el);
    else this.inbox.push(el);
  }

  private onStreamEnd(): void {
    if (this.closing) return;
    this.abort(new LoadError('stream-closed-by-server', 'server closed the stream'));
  }

  private onTransportClose(err?: Error): void {
    if (this.state.kind === 'closed') return;
    if (this.closing) {
      this.state = { kind: 'closed' };
      this.handlers.closed();
      return;
    }
    const code = (err as NodeJS.ErrnoException | undefined)?.code;
    this.abort(new LoadError(`disconnected${code ? `:${code}` : ''}`, err?.message ?? 'connection closed'));
  }

  private abort(e: LoadError): void {
    if (this.state.kind === 'closed') return;
    const w = this.waiter;
    this.waiter = undefined;
    const wasOnline = this.state.kind === 'online';
    this.state = { kind: 'closed', error: e };
    this.closing = true;
    this.transport?.close();
    if (w) w.reject(e);
    else if (wasOnline) this.handlers.closed(e);
  }

  private fail(e: LoadError): LoadError {
    this.abort(e);
    this.state = { kind: 'closed', error: e };
    return e;
  }
}

/** The defined condition of a stanza error (RFC 6120 §8.3.3), or "unknown". */
export function stanzaErrorCondition(el: Element): string {
  const err = el.getChild('error');
  const cond = err?.children.find(
    (c): c is Element => typeof c !== 'string' && c.getNS() === NS.stanzas && localName(c.name) !== 'text',
  );
  return cond ? localName(cond.name) : 'unknown';
}

/**
 * RFC 7395 §3.4 wants `<stream:features xmlns:stream='http://etherx.jabber.org/streams'>` in a
 * frame; some servers omit the prefix declaration. The generator tolerates that one omission
 * (a real client library does too) instead of failing every connection.
 */
function framedText(text: string): string {
  if (!text.startsWith('<stream:') || text.includes('xmlns:stream=')) return text;
  const at = text.slice(1).search(/[\s/>]/) + 1;
  return `${text.slice(0, at)} xmlns:stream='${NS.stream}'${text.slice(at)}`;
}
