// The client-to-server stream as a typed state machine (STYLE.md §3, after MongooseIM's
// mongoose_c2s). Every state has a deadline; the connection never imports `net`.
import { randomBytes, randomUUID } from 'node:crypto';
import { type Jid, parseJid, prepareResourcepart, tryParseJid } from '@parley/jid';
import type { LocationService, ResourceEntry } from '@parley/location';
import type { Logger } from '@parley/log';
import { createSaslSession, offeredMechanisms, type SaslSession, type SaslStep } from '@parley/sasl';
import {
  iqResult,
  mayReplyWithError,
  NS,
  type StanzaErrorCondition,
  type StreamErrorCondition,
  stanzaErrorReply,
  streamErrorElement,
} from '@parley/stanza';
import { Element, parseFragment, StreamParser, XmlError, type XmlLimits, xml } from '@parley/xml';
import type { EdgeContext } from './context.ts';
import { TokenBucket } from './rate.ts';
import type { ChannelBindingType, Transport } from './transport/transport.ts';

export type C2SState =
  | { name: 'wait_for_stream'; authenticated: boolean }
  | { name: 'wait_for_feature_before_auth' }
  | { name: 'wait_for_sasl_response'; session: SaslSession }
  | { name: 'wait_for_bind'; user: string }
  | { name: 'session_established'; jid: Jid }
  | { name: 'closed' };

const MAX_SASL_FAILURES = 3;

interface SmState {
  /** Stanzas received since enable, and how many of them (contiguously) were handled. */
  received: number;
  handled: number;
  done: Set<number>;
  /** Stanzas sent since enable, and the client's last acknowledgement. */
  sent: number;
  acked: number;
  /** Deliveries kept in the outbox, by the stream position they were sent at. */
  kept: Array<{ seq: number; id: string }>;
  /** An <r/> is scheduled or unanswered. */
  asking: boolean;
  /** Unanswered <r/>s from the client, each with the count of stanzas received before it. */
  owed: number[];
}

export class C2SConnection {
  readonly id = randomUUID();
  state: C2SState = { name: 'wait_for_stream', authenticated: false };
  /** Full JID once bound. */
  jid: Jid | null = null;
  /** Available presence sent (RFC 6121 §4.2), so the resource gets broadcasts and messages. */
  available = false;
  private readonly log: Logger;
  private readonly parser: StreamParser | null;
  private readonly limits: Partial<XmlLimits>;
  private readonly bucket: TokenBucket;
  private streamId = '';
  private headerSent = false;
  private deadline: NodeJS.Timeout | null = null;
  private saslFailures = 0;
  private paused = false;
  private busy = false;
  private readonly backlog: Element[] = [];
  private authUser: string | null = null;
  private authMechanism = '';
  private sm: SmState | null = null;
  private readonly chains = new Map<string, Promise<void>>();
  /** Hand-off ids of recent deliveries to this connection, oldest first (duplicate suppression). */
  private readonly recentDeliveries = new Set<string>();
  /** Numbers this connection's stanzas, so a retried hand-off is recognised (idempotency key). */
  private stanzaSeq = 0;
  private lastInput = Date.now();

  constructor(
    private readonly ctx: EdgeContext,
    private readonly transport: Transport,
  ) {
    this.log = ctx.log.child({ conn: this.id, transport: transport.kind });
    this.limits = { maxStanzaBytes: ctx.config.maxStanzaBytes };
    this.bucket = new TokenBucket(ctx.config.rateBytesPerSec, ctx.config.rateBurstBytes);
    this.parser =
      transport.framing === 'stream'
        ? new StreamParser(
            {
              onStreamStart: (name, attrs) => this.onStreamStart(name, attrs),
              onStanza: (el) => this.onElement(el),
              onStreamEnd: () => this.onStreamEnd(),
              onError: (err) => this.onXmlError(err),
            },
            this.limits,
          )
        : null;
    transport.setEvents({ data: (c) => this.onData(c), close: () => this.onTransportClose() });
    this.armDeadline(ctx.config.negotiationTimeoutSec, 'connection-timeout');
    ctx.metrics.connections.inc({ transport: transport.kind });
  }

  // ---- input ---------------------------------------------------------------------------

  private onData(chunk: Buffer | string): void {
    if (this.state.name === 'closed') return;
    const size = typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
    const wait = this.bucket.take(size);
    if (wait > 0 && !this.paused) {
      this.paused = true;
      this.transport.pause();
      setTimeout(() => {
        this.paused = false;
        if (this.state.name !== 'closed' && !this.busy) this.transport.resume();
      }, wait).unref();
    }
    // Idle deadline: note the activity; the timer re-checks when it fires instead of being re-armed per chunk.
    this.lastInput = Date.now();
    if (this.parser) {
      this.parser.write(chunk);
      return;
    }
    this.onFrame(typeof chunk === 'string' ? chunk : chunk.toString('utf8'));
  }

  /** RFC 7395 §3.3.3: each WebSocket message is exactly one element. */
  private onFrame(text: string): void {
    if (text.trim() === '') return; // whitespace keepalive is harmless here too
    let el: Element;
    try {
      el = parseFragment(text, this.limits);
    } catch (err) {
      if (err instanceof XmlError) this.onXmlError(err);
      else this.streamError('not-well-formed', 'unparsable frame');
      return;
    }
    if (el.is('open', NS.framing)) {
      this.onStreamStart('open', el.attrs);
      return;
    }
    if (el.is('close', NS.framing)) {
      this.onStreamEnd();
      return;
    }
    // Stanzas in framed mode carry their own xmlns (RFC 7395 §3.3.3); default to jabber:client.
    if (!el.attr('xmlns')) el.setAttr('xmlns', NS.client);
    this.onElement(el);
  }

  private onXmlError(err: XmlError): void {
    this.log.info('xml error from client', { condition: err.condition, reason: err.message });
    this.ctx.metrics.streamErrors.inc({ condition: err.condition });
    this.streamError(err.condition as StreamErrorCondition, err.message);
  }

  private onStreamEnd(): void {
    this.close();
  }

  private onTransportClose(): void {
    void this.teardown();
  }

  // ---- stream header (RFC 6120 §4.7, §4.9) ---------------------------------------------

  private onStreamStart(name: string, attrs: Record<string, string>): void {
    if (this.state.name !== 'wait_for_stream') {
      this.streamError('not-well-formed', 'unexpected stream header');
      return;
    }
    const framed = this.transport.framing === 'framed';
    this.sendHeader(attrs);
    if (!framed) {
      if (name !== 'stream:stream' || attrs['xmlns:stream'] !== NS.stream) {
        this.streamError('invalid-namespace', 'the stream element must be stream:stream in the streams namespace');
        return;
      }
      if (attrs.xmlns !== NS.client) {
        this.streamError('invalid-namespace', 'the content namespace must be jabber:client');
        return;
      }
    }
    // RFC 6120 §4.7.5: version 1.0 is required for SASL/TLS streams.
    const version = attrs.version ?? '';
    const major = Number(version.split('.')[0]);
    if (!/^\d+\.\d+$/.test(version) || major !== 1) {
      this.streamError('unsupported-version', 'XMPP version 1.0 is required');
      return;
    }
    const to = attrs.to;
    if (to !== undefined && tryParseJid(to)?.toString() !== this.ctx.config.domain) {
      this.streamError('host-unknown', 'this server does not serve that domain');
      return;
    }
    this.sendFeatures();
  }

  private sendHeader(attrs: Record<string, string>): void {
    this.streamId = randomBytes(12).toString('base64url');
    const from = tryParseJid(attrs.from ?? '');
    const common = {
      id: this.streamId,
      from: this.ctx.config.domain,
      to: from ? from.bareString() : undefined,
      version: '1.0',
      'xml:lang': 'en',
    };
    if (this.transport.framing === 'framed') {
      this.write(xml('open', { xmlns: NS.framing, ...common }).toString());
    } else {
      const head = new Element('stream:stream', { xmlns: NS.client, 'xmlns:stream': NS.stream, ...common }).toString();
      // An open tag: drop the self-closing "/>" of the serialized empty element.
      this.write(`<?xml version='1.0'?>${head.slice(0, -2)}>`);
    }
    this.headerSent = true;
  }

  private sendFeatures(): void {
    const features = this.streamLevel(xml('stream:features'));
    const authenticated = this.state.name === 'wait_for_stream' && this.state.authenticated;
    if (!authenticated) {
      const tlsNeeded = this.ctx.config.requireTls && !this.transport.secure();
      if (this.transport.canStartTls()) {
        features.append(xml('starttls', { xmlns: NS.tls }, this.ctx.config.requireTls ? xml('required') : null));
      }
      // RFC 6120 §5.3.1 / §6.4.1: with TLS mandatory, offer SASL only after TLS.
      if (!tlsNeeded) {
        const cbTypes = this.channelBindingTypes();
        const mechs = offeredMechanisms({ tls: this.transport.secure(), channelBindingTypes: cbTypes });
        features.append(xml('mechanisms', { xmlns: NS.sasl }, ...mechs.map((m) => xml('mechanism', null, m))));
        // XEP-0440: tell the client which channel-binding types we support.
        if (cbTypes.length) {
          features.append(xml('sasl-channel-binding', { xmlns: NS.saslCb }, ...cbTypes.map((t) => xml('channel-binding', { type: t }))));
        }
      }
      this.state = { name: 'wait_for_feature_before_auth' };
    } else {
      features.append(xml('bind', { xmlns: NS.bind }));
      // draft-cridland-xmpp-session-01: legacy session establishment is a no-op; say so.
      features.append(xml('session', { xmlns: NS.session }, xml('optional')));
      features.append(xml('ver', { xmlns: NS.rosterver }));
      features.append(xml('sub', { xmlns: NS.preApproval }));
      features.append(xml('sm', { xmlns: NS.sm }));
      this.state = { name: 'wait_for_bind', user: this.authUser ?? '' };
    }
    this.write(features.toString());
  }

  /**
   * RFC 7395 §3.4: in WebSocket framing every message is its own document, so stream-level
   * elements must declare the stream prefix themselves.
   */
  private streamLevel(el: Element): Element {
    if (this.transport.framing === 'framed') el.setAttr('xmlns:stream', NS.stream);
    return el;
  }

  private channelBindingTypes(): ChannelBindingType[] {
    return (['tls-exporter', 'tls-server-end-point'] as const).filter((t) => this.transport.channelBinding(t) !== undefined);
  }

  // ---- elements by state ---------------------------------------------------------------

  /**
   * Elements that arrive while an asynchronous step (SASL, bind) is running wait here, so that a
   * client pipelining stanzas after its bind request is served in order rather than refused.
   */
  private onElement(el: Element): void {
    if (this.busy) {
      if (this.backlog.length >= 64) {
        this.streamError('policy-violation', 'too many stanzas sent before the previous step finished');
        return;
      }
      this.backlog.push(el);
      return;
    }
    this.dispatch(el);
  }

  /** Stop reading and queue elements until `release`; input is throttled at the socket too. */
  private hold(): void {
    this.busy = true;
    this.transport.pause();
  }

  private release(): void {
    this.busy = false;
    if (this.state.name === 'closed') return;
    while (!this.busy && this.backlog.length > 0 && !this.isClosed()) this.dispatch(this.backlog.shift()!);
    if (!this.busy && !this.paused) this.transport.resume();
  }

  /** Run `fn` after the previous task of the same chain settled (per-actor ordering of hand-offs). */
  chain(name: string, fn: () => Promise<void>): Promise<void> {
    const prev = this.chains.get(name);
    const run = prev ? prev.then(fn) : fn();
    const tail = run.catch(() => {});
    this.chains.set(name, tail);
    void tail.then(() => {
      if (this.chains.get(name) === tail) this.chains.delete(name);
    });
    return run;
  }

  isClosed(): boolean {
    return this.state.name === 'closed';
  }

  private dispatch(el: Element): void {
    try {
      switch (this.state.name) {
        case 'wait_for_stream':
          this.streamError('not-well-formed', 'expected a stream header');
          return;
        case 'wait_for_feature_before_auth':
          this.beforeAuth(el);
          return;
        case 'wait_for_sasl_response':
          this.duringSasl(el, this.state.session);
          return;
        case 'wait_for_bind':
          this.beforeBind(el);
          return;
        case 'session_established':
          this.onEstablished(el, this.state.jid);
          return;
        case 'closed':
          return;
      }
    } catch (err) {
      this.log.error('failure handling element', { err, element: el.name });
      this.streamError('internal-server-error');
    }
  }

  private beforeAuth(el: Element): void {
    if (el.is('starttls', NS.tls)) {
      if (!this.transport.canStartTls()) {
        this.streamError('policy-violation', 'TLS is already active');
        return;
      }
      this.write(xml('proceed', { xmlns: NS.tls }).toString());
      this.state = { name: 'wait_for_stream', authenticated: false };
      this.parser?.reset();
      this.transport.startTls().then(
        () => this.log.debug('tls established', this.transport.tlsInfo() ?? {}),
        (err) => {
          this.log.info('tls handshake failed', { err: (err as Error).message });
          this.close(true);
        },
      );
      return;
    }
    if (el.is('auth', NS.sasl)) {
      if (this.ctx.config.requireTls && !this.transport.secure()) {
        // RFC 6120 §6.4.5 encryption-required is the SASL condition; the stream stays usable.
        this.write(xml('failure', { xmlns: NS.sasl }, xml('encryption-required')).toString());
        return;
      }
      const mech = el.attr('mechanism') ?? '';
      const offered = offeredMechanisms({ tls: this.transport.secure(), channelBindingTypes: this.channelBindingTypes() });
      const session = offered.includes(mech)
        ? createSaslSession(mech, {
            tls: this.transport.secure(),
            channelBinding: (t) => this.transport.channelBinding(t),
            lookup: (username, hash) => this.ctx.store.users.getCredential(username, this.ctx.config.domain, hash),
            fakeSaltSecret: this.ctx.fakeSaltSecret,
            domain: this.ctx.config.domain,
            // Unknown users must see the same iteration count as real ones.
            defaultIterations: this.ctx.config.scramIterations,
          })
        : null;
      if (!session) {
        this.write(xml('failure', { xmlns: NS.sasl }, xml('invalid-mechanism')).toString());
        return;
      }
      this.authMechanism = mech;
      this.state = { name: 'wait_for_sasl_response', session };
      const text = el.text().trim();
      // RFC 6120 §6.4.2: "=" is an empty initial response; no text means none.
      const initial = text === '' ? null : text === '=' ? Buffer.alloc(0) : decodeBase64(text);
      if (initial === undefined) {
        this.saslResult(session, { kind: 'failure', condition: 'incorrect-encoding' });
        return;
      }
      this.runSasl(session, session.start(initial));
      return;
    }
    // RFC 6120 §6.4 / issue: any stanza before authentication is not-authorized and closes.
    this.streamError('not-authorized', 'authenticate first');
  }

  private duringSasl(el: Element, session: SaslSession): void {
    if (el.is('response', NS.sasl)) {
      const text = el.text().trim();
      const data = text === '' || text === '=' ? Buffer.alloc(0) : decodeBase64(text);
      if (data === undefined) {
        this.saslResult(session, { kind: 'failure', condition: 'incorrect-encoding' });
        return;
      }
      this.runSasl(session, session.step(data));
      return;
    }
    if (el.is('abort', NS.sasl)) {
      this.saslResult(session, { kind: 'failure', condition: 'aborted' });
      return;
    }
    this.streamError('not-authorized', 'authentication in progress');
  }

  private runSasl(session: SaslSession, step: Promise<SaslStep>): void {
    // Hold input while the (async) mechanism works, so elements are handled in order.
    this.hold();
    step.then(
      (s) => {
        if (this.state.name === 'closed') return;
        this.busy = false;
        this.saslResult(session, s);
        if (!this.busy) this.release();
      },
      (err) => {
        this.log.error('sasl failure', { err });
        this.streamError('internal-server-error');
      },
    );
  }

  private saslResult(session: SaslSession, step: SaslStep): void {
    if (step.kind === 'challenge') {
      this.write(xml('challenge', { xmlns: NS.sasl }, b64(step.data)).toString());
      return;
    }
    if (step.kind === 'success') {
      this.authUser = step.username;
      this.write(xml('success', { xmlns: NS.sasl }, step.data?.length ? b64(step.data) : null).toString());
      this.ctx.metrics.auth.inc({ result: 'success', mechanism: session.mechanism });
      // RFC 6120 §6.4.6: the stream restarts on success.
      this.state = { name: 'wait_for_stream', authenticated: true };
      this.parser?.reset();
      return;
    }
    this.ctx.metrics.auth.inc({ result: 'failure', mechanism: session.mechanism });
    this.saslFailures++;
    this.log.info('authentication failed', { condition: step.condition, mechanism: session.mechanism, ip: this.transport.remoteAddress });
    const failure = xml('failure', { xmlns: NS.sasl }, xml(step.condition), step.text ? xml('text', { 'xml:lang': 'en' }, step.text) : null);
    // Slow down guessing: each failure waits longer before the next attempt is read (RFC 6120 §6.4.5 allows retries).
    const delay = Math.min(250 * 2 ** (this.saslFailures - 1), 2000);
    this.hold();
    setTimeout(() => {
      if (this.state.name === 'closed') return;
      this.write(failure.toString());
      if (this.saslFailures >= MAX_SASL_FAILURES) {
        this.streamError('policy-violation', 'too many failed authentication attempts');
        return;
      }
      this.state = { name: 'wait_for_feature_before_auth' };
      this.release();
    }, delay).unref();
  }

  // ---- resource binding (RFC 6120 §7) --------------------------------------------------

  private beforeBind(el: Element): void {
    if (el.getNS() === NS.sm) {
      // XEP-0198 §3: enable only after resource binding.
      this.write(xml('failed', { xmlns: NS.sm }, xml('unexpected-request', { xmlns: NS.stanzas })).toString());
      return;
    }
    const bind = el.is('iq') ? el.getChild('bind', NS.bind) : undefined;
    if (!bind || el.attr('type') !== 'set') {
      if (el.is('iq') && el.getChild('session', NS.session)) {
        this.write(iqResult(el).toString());
        return;
      }
      this.streamError('not-authorized', 'bind a resource first');
      return;
    }
    const requested = bind.getChildText('resource');
    let resource: string;
    try {
      resource = requested && requested.trim() !== '' ? prepareResourcepart(requested) : randomBytes(8).toString('hex');
    } catch {
      // RFC 6120 §7.7.2.1: a resource that cannot be prepared is bad-request.
      this.write(stanzaErrorReply(el, 'bad-request', { text: 'resource cannot be prepared', from: undefined }).toString());
      return;
    }
    this.hold();
    this.bind(el, resource).then(
      () => this.release(),
      (err) => {
        this.log.error('bind failed', { err });
        this.write(stanzaErrorReply(el, 'internal-server-error').toString());
        this.release();
      },
    );
  }

  private async bind(el: Element, resource: string): Promise<void> {
    const user = this.authUser;
    if (!user) throw new Error('bind without authenticated user');
    const jid = parseJid(`${user}@${this.ctx.config.domain}/${resource}`);
    const entry: ResourceEntry = { jid: jid.toString(), edge: this.ctx.edgeId, conn: this.id, priority: 0, available: false };
    const reg = await this.ctx.location.register(entry);
    if (!reg.ok) {
      // RFC 6120 §7.7.2.2: the newer session wins; the old one gets a conflict stream error.
      this.ctx.kick(reg.current, 'conflict', 'replaced by a new connection for the same resource');
      if (!(await replaceEntry(this.ctx.location, entry, reg.current.conn))) {
        this.write(stanzaErrorReply(el, 'conflict', { text: 'resource is in use' }).toString());
        return;
      }
    }
    if (this.state.name === 'closed') {
      await this.ctx.location.unregister(entry.jid, this.id);
      return;
    }
    this.jid = jid;
    this.state = { name: 'session_established', jid };
    this.ctx.register(this);
    this.armIdleDeadline();
    this.write(iqResult(el, xml('bind', { xmlns: NS.bind }, xml('jid', null, jid.toString()))).toString());
    this.log.info('session established', { jid: jid.toString(), ip: this.transport.remoteAddress, mechanism: this.authMechanism });
    void this.ctx.recordLogin(user, { ip: this.transport.remoteAddress, resource, mechanism: this.authMechanism });
  }

  // ---- established session --------------------------------------------------------------

  /**
   * XEP-0198 inbound counting: a stanza counts as handled once its owning actor accepted it (or
   * it was answered here), so `<a h/>` never acknowledges a stanza the server could still lose.
   */
  private onEstablished(el: Element, jid: Jid): void {
    if (el.getNS() === NS.sm) {
      this.streamManagement(el);
      return;
    }
    const sm = this.sm;
    const seq = sm ? ++sm.received : 0;
    const pending = this.established(el, jid);
    if (!sm) return;
    if (pending) void pending.finally(() => this.smHandled(sm, seq));
    else this.smHandled(sm, seq);
  }

  private smHandled(sm: SmState, seq: number): void {
    sm.done.add(seq);
    while (sm.done.delete(sm.handled + 1)) sm.handled++;
    while (sm.owed.length && sm.owed[0]! <= sm.handled) {
      sm.owed.shift();
      this.sendAck(sm);
    }
  }

  private sendAck(sm: SmState): void {
    this.write(xml('a', { xmlns: NS.sm, h: String(sm.handled % 2 ** 32) }).toString());
  }

  /** XEP-0198 §3-§4: enable, ack requests and acks (resumption is not offered yet). */
  private streamManagement(el: Element): void {
    if (el.is('enable', NS.sm)) {
      if (this.sm) {
        this.write(xml('failed', { xmlns: NS.sm }, xml('unexpected-request', { xmlns: NS.stanzas })).toString());
        return;
      }
      this.sm = { received: 0, handled: 0, done: new Set(), sent: 0, acked: 0, kept: [], asking: false, owed: [] };
      this.write(xml('enabled', { xmlns: NS.sm }).toString());
      // From now on the session actors keep this connection's deliveries until acknowledged.
      if (this.jid) void this.ctx.location.update(this.jid.toString(), this.id, { sm: true }).catch(() => {});
      return;
    }
    if (!this.sm) {
      this.write(xml('failed', { xmlns: NS.sm }, xml('unexpected-request', { xmlns: NS.stanzas })).toString());
      return;
    }
    if (el.is('r', NS.sm)) {
      // XEP-0198 §4: the answer counts every stanza received before the <r/>; those still on
      // their way to an actor are waited for (in order, without holding up other input).
      if (this.sm.owed.length === 0 && this.sm.handled >= this.sm.received) this.sendAck(this.sm);
      else this.sm.owed.push(this.sm.received);
      return;
    }
    if (el.is('a', NS.sm)) {
      const h = Number(el.attr('h'));
      // XEP-0198 §4: acknowledging more than was sent is a protocol violation.
      if (!Number.isInteger(h) || h < 0 || h > this.sm.sent) {
        this.streamError('undefined-condition', 'acknowledged more stanzas than were sent');
        return;
      }
      this.sm.acked = h;
      this.sm.asking = false;
      const acked: string[] = [];
      while (this.sm.kept.length && this.sm.kept[0]!.seq <= h) acked.push(this.sm.kept.shift()!.id);
      if (acked.length) this.ctx.acknowledged(this, acked);
      if (this.sm.kept.length) this.askForAck();
    }
  }

  /** XEP-0198 §4: ask the client to acknowledge, at most one request outstanding, batched. */
  private askForAck(): void {
    const sm = this.sm;
    if (!sm || sm.asking) return;
    sm.asking = true;
    setTimeout(() => {
      if (this.sm === sm && !this.isClosed()) this.write(xml('r', { xmlns: NS.sm }).toString());
    }, 100).unref();
  }

  /** True if XEP-0198 is on for this connection. */
  smEnabled(): boolean {
    return this.sm !== null;
  }

  private established(el: Element, jid: Jid): Promise<void> | undefined {
    if (el.getNS() !== NS.client || !(el.name === 'message' || el.name === 'presence' || el.name === 'iq')) {
      // RFC 6120 §4.9.3.23
      this.streamError('unsupported-stanza-type', `${el.name} is not a stanza this server accepts`);
      return;
    }
    // RFC 6120 §8.1.2.1: a from that is not the session's JID is a spoofing attempt.
    const from = el.attr('from');
    if (from !== undefined) {
      const parsed = tryParseJid(from);
      if (!parsed || !(parsed.equals(jid) || (parsed.isBare() && parsed.equals(jid.bare)))) {
        this.streamError('invalid-from', 'the from address does not match this session');
        return;
      }
    }
    el.setAttr('from', jid.toString());
    this.ctx.metrics.stanzaIn(el.name);

    if (el.name === 'iq') {
      const type = el.attr('type');
      // RFC 6120 §8.2.3: id and type are required; get/set carry exactly one payload.
      if (!el.attr('id') || !type || !['get', 'set', 'result', 'error'].includes(type)) {
        this.replyError(el, 'bad-request', 'an IQ needs an id and a type of get, set, result or error');
        return;
      }
      if ((type === 'get' || type === 'set') && el.getChildElements().length !== 1) {
        this.replyError(el, 'bad-request', 'an IQ get or set must have exactly one child');
        return;
      }
      // Legacy session IQ (RFC 3921 §3) is accepted and ignored.
      if (type === 'set' && el.getChild('session', NS.session) && isServer(el, jid, this.ctx.config.domain)) {
        this.write(iqResult(el).toString());
        return;
      }
    }

    const toRaw = el.attr('to');
    let to: Jid | null = null;
    if (toRaw !== undefined) {
      to = tryParseJid(toRaw);
      if (!to) {
        this.replyError(el, 'jid-malformed', 'the to address is not a valid JID');
        return;
      }
      el.setAttr('to', to.toString());
    }
    if (to && to.domain !== this.ctx.config.domain) {
      // Federation is not enabled on this server (yet): RFC 6120 §8.3.3.15.
      if (el.name !== 'presence') this.replyError(el, 'remote-server-not-found', 'federation is not enabled on this server');
      return;
    }
    if (el.name === 'presence' && to === null) this.trackOwnPresence(el);
    return this.ctx.route(el, jid, this, `${this.id}:${this.stanzaSeq++}`).catch((err: { condition?: string }) => {
      const condition = err?.condition === 'resource-constraint' ? 'resource-constraint' : 'internal-server-error';
      if (condition === 'internal-server-error') this.log.error('routing failed', { err });
      this.replyError(el, condition, condition === 'resource-constraint' ? 'the server is busy, try again' : undefined);
    });
  }

  /** The edge follows the session's own availability so that a dropped connection broadcasts unavailable. */
  private trackOwnPresence(el: Element): void {
    const type = el.attr('type');
    if (type === undefined) this.available = true;
    else if (type === 'unavailable') this.available = false;
  }

  private replyError(el: Element, condition: StanzaErrorCondition, text?: string): void {
    if (!mayReplyWithError(el)) return;
    const from = el.attr('to') ?? this.ctx.config.domain;
    const reply = stanzaErrorReply(el, condition, { text, from });
    this.write(reply.toString());
  }

  // ---- output and lifecycle -------------------------------------------------------------

  /** Write serialized XML; a reader too slow to keep up is disconnected rather than buffered forever. */
  write(data: string): void {
    if (this.state.name === 'closed') return;
    if (this.sm && (data.startsWith('<message') || data.startsWith('<presence') || data.startsWith('<iq'))) this.sm.sent++;
    this.transport.write(data);
    if (this.transport.writeBacklog() > 8 * 1024 * 1024) {
      this.log.warn('client not reading, closing', { backlog: this.transport.writeBacklog() });
      this.streamError('policy-violation', 'not reading fast enough');
    }
  }

  /** False when a stanza with this hand-off id was already delivered here (a retried hand-off). */
  firstDelivery(id: string): boolean {
    if (this.recentDeliveries.has(id)) return false;
    this.recentDeliveries.add(id);
    // A retry follows its original within seconds; a few hundred ids cover that window.
    if (this.recentDeliveries.size > 512) {
      const oldest = this.recentDeliveries.values().next().value;
      if (oldest !== undefined) this.recentDeliveries.delete(oldest);
    }
    return true;
  }

  /** `id`: the delivery id of a stanza kept in this connection's outbox until the client acks it. */
  deliver(xmlText: string, id?: string): void {
    this.ctx.metrics.stanzaOut(xmlText.startsWith('<m') ? 'message' : xmlText.startsWith('<p') ? 'presence' : 'iq');
    this.write(xmlText);
    if (this.sm && id !== undefined && xmlText.startsWith('<message')) {
      this.sm.kept.push({ seq: this.sm.sent, id });
      this.askForAck();
    }
  }

  /** Send a stream error and close (RFC 6120 §4.9.1.1: error, then close the stream). */
  streamError(condition: StreamErrorCondition, text?: string, detail?: string): void {
    if (this.state.name === 'closed') return;
    if (!this.headerSent) this.sendHeader({});
    this.write(this.streamLevel(streamErrorElement(condition, text, detail)).toString());
    this.close();
  }

  close(abrupt = false): void {
    if (this.state.name === 'closed') return;
    if (!abrupt && this.headerSent) this.transport.write(this.transport.framing === 'framed' ? `<close xmlns="${NS.framing}"/>` : '</stream:stream>');
    this.state = { name: 'closed' };
    this.transport.close();
    void this.teardown();
  }

  private tornDown = false;

  private async teardown(): Promise<void> {
    if (this.deadline) clearTimeout(this.deadline);
    if (this.state.name !== 'closed') this.state = { name: 'closed' };
    if (this.tornDown) return;
    this.tornDown = true;
    this.ctx.metrics.connections.dec({ transport: this.transport.kind });
    await this.ctx.connectionClosed(this);
  }

  private armDeadline(seconds: number, condition: StreamErrorCondition): void {
    if (this.deadline) clearTimeout(this.deadline);
    this.deadline = setTimeout(() => this.streamError(condition, 'timed out'), seconds * 1000);
    this.deadline.unref();
  }

  /** RFC 6120 §4.6: an established stream silent for the idle timeout is closed (whitespace counts). */
  private armIdleDeadline(): void {
    if (this.deadline) clearTimeout(this.deadline);
    const idleMs = this.ctx.config.idleTimeoutSec * 1000;
    const check = () => {
      const silent = Date.now() - this.lastInput;
      if (silent >= idleMs) {
        this.streamError('connection-timeout', 'idle for too long');
        return;
      }
      this.deadline = setTimeout(check, idleMs - silent);
      this.deadline.unref();
    };
    this.lastInput = Date.now();
    this.deadline = setTimeout(check, idleMs);
    this.deadline.unref();
  }
}

async function replaceEntry(location: LocationService, entry: ResourceEntry, expected: string): Promise<boolean> {
  if (await location.replace(entry, expected)) return true;
  // The old owner vanished in between: a plain register then works.
  return (await location.register(entry)).ok;
}

function isServer(el: Element, jid: Jid, domain: string): boolean {
  const to = el.attr('to');
  return to === undefined || to === domain || to === jid.bareString();
}

function b64(data: Buffer): string {
  return data.length === 0 ? '=' : data.toString('base64');
}

function decodeBase64(text: string): Buffer | undefined {
  // RFC 6120 §6.4.2: strict base64 (RFC 4648 §4); reject anything else with incorrect-encoding.
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) return undefined;
  return Buffer.from(text, 'base64');
}
