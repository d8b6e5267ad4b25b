// The client-to-server stream as a typed state machine (STYLE.md §3, after MongooseIM's
// mongoose_c2s). Each state has its deadline (state.ts); input shaping, the header, what comes
// before authentication, SASL (with the modules' mechanisms, module-sasl.ts), bind and admission
// live in their own files; extensions attach through per-connection hooks (sign-in.ts).
import { randomBytes, randomUUID } from 'node:crypto';
import type { ConnectionHooks, StreamApi } from '@parley/ext';
import type { Jid } from '@parley/jid';
import { RESOURCE_PATCH_FIELDS, type ResourceEntry, type ResourcePatch } from '@parley/location';
import type { Logger } from '@parley/log';
import { NS, type StreamErrorCondition, streamErrorElement } from '@parley/stanza';
import { type Element, type XmlError, xml } from '@parley/xml';
import type { EdgeContext } from '../context.ts';
import type { Transport } from '../transport/transport.ts';
import { beforeAuth } from './before-auth.ts';
import { beforeBind } from './bind.ts';
import { RecentDeliveries } from './delivery.ts';
import { onEstablished } from './established.ts';
import { checkHeader, featuresAfterAuth, featuresBeforeAuth, responseHeader } from './header.ts';
import { Input } from './input.ts';
import { offerModuleMechanisms } from './module-sasl.ts';
import { continueAuth } from './sasl.ts';
import { continueSasl2 } from './sasl2.ts';
import { type Authenticated, type C2SState, DEADLINE } from './state.ts';

export class C2SConnection {
  readonly id = randomUUID();
  state: C2SState = { name: 'wait_for_stream', auth: null, saslFailures: 0 };
  /** Full JID once bound. */
  jid: Jid | null = null;
  /** Available presence sent (RFC 6121 §4.2), so the resource gets broadcasts and messages. */
  available = false;
  /**
   * This connection's location entry as last written, by extensions here (e.g. `sm`) and by the
   * actors (presence, priority, roster interest, carbons: `mirrorEntry`), to register it again if
   * the location service loses it.
   */
  readonly entry: ResourcePatch = {};
  readonly log: Logger;
  readonly input: Input;
  readonly hooks: ConnectionHooks[];
  /** What modules see of this connection (their hooks and edge-local IQs). */
  readonly api: StreamApi;
  private readonly framed: boolean;
  private headerSent = false;
  private deadline: NodeJS.Timeout | null = null;
  private deadlineKind: 'negotiation' | 'idle' | null = null;
  private readonly chains = new Map<string, Promise<void>>();
  private readonly recent = new RecentDeliveries();
  /** Numbers this connection's stanzas, so a retried hand-off is recognised (idempotency key). */
  private stanzaSeq = 0;
  private torn: Promise<void> | null = null;
  /** Deliveries held while a resumed session's backlog is written first (`StreamApi.attach`). */
  private held: Array<[string, string | undefined]> | null = null;
  /** The client closed its stream itself (RFC 6120 §4.4), rather than the transport dropping. */
  clientClosed = false;
  /** The modules' SASL mechanisms offered on this stream, as last asked (module-sasl.ts). */
  moduleMechanisms: string[] = [];

  constructor(
    readonly ctx: EdgeContext,
    readonly transport: Transport,
  ) {
    this.log = ctx.log.child({ conn: this.id, transport: transport.kind });
    this.framed = transport.framing === 'framed';
    this.input = new Input(transport, { maxStanzaBytes: ctx.config.maxStanzaBytes }, { bytesPerSec: ctx.config.rateBytesPerSec, burstBytes: ctx.config.rateBurstBytes }, {
      header: (name, attrs) => this.onHeader(name, attrs),
      element: (el) => this.dispatch(el),
      end: () => {
        this.clientClosed = true;
        this.close();
      },
      xmlError: (err) => this.onXmlError(err),
      overflow: () => this.streamError('policy-violation', 'too many stanzas sent before the previous step finished'),
    });
    this.api = this.streamApi();
    this.hooks = ctx.ext.connect(this.api);
    transport.setEvents({ data: (c) => this.input.data(c), close: () => void this.teardown() });
    this.armDeadline();
    ctx.metrics.connections.inc({ transport: transport.kind });
  }

  /** Enter a state; its deadline starts when the kind of deadline changes (negotiation runs across its states). */
  setState(next: C2SState): void {
    this.state = next;
    if (DEADLINE[next.name] !== this.deadlineKind) this.armDeadline();
  }

  isClosed(): boolean {
    return this.state.name === 'closed';
  }

  private streamApi(): StreamApi {
    return {
      id: this.id,
      log: this.log,
      jid: () => this.jid,
      send: (el) => this.send(el),
      streamError: (condition, text) => this.streamError(condition, text),
      isClosed: () => this.isClosed(),
      patchEntry: (patch) => {
        Object.assign(this.entry, patch);
        if (this.jid) void this.ctx.location.update(this.jid.toString(), this.id, patch).catch(() => {});
      },
      acknowledged: (ids) => this.ctx.acknowledged(this, ids),
      edgeId: this.ctx.edgeId,
      location: this.ctx.location,
      account: () => {
        const s = this.state;
        const auth = 'auth' in s ? s.auth : null;
        return auth ? `${auth.user}@${this.ctx.config.domain}` : null;
      },
      holdInput: () => {
        this.input.hold();
        return () => this.input.release();
      },
      attach: (jid) => this.attach(jid),
      resend: (text, id) => {
        if (!this.recent.first(id)) return false;
        this.sendStanza(text, id);
        return true;
      },
      release: (text, id) => this.sendStanza(text, id),
      kick: (entry, condition, text) => this.ctx.kick(entry, condition, text),
      sessionsGone: (entries) => this.ctx.sessionsGone(entries),
      remoteAddress: this.transport.remoteAddress,
      store: this.ctx.store,
      tell: (service, msg) => this.ctx.tell(service, msg),
      credential: () => {
        const s = this.state;
        return ('auth' in s ? s.auth?.credential : undefined) ?? null;
      },
      revokeCredential: (credential, text) => this.ctx.revokeCredential(credential, text),
    };
  }

  /** StreamApi.attach: take over an existing session's identity (XEP-0198 §5), deliveries held until open. */
  private attach(jid: Jid): { open(entry: ResourceEntry): void; cancel(): void } {
    const s = this.state;
    if (s.name !== 'wait_for_bind') throw new Error('attach is only possible between authentication and binding');
    const auth = s.auth;
    this.jid = jid;
    this.held = [];
    this.ctx.register(this);
    return {
      open: (entry) => {
        this.available = entry.available;
        this.mirrorEntry(entry as unknown as Record<string, string | number | boolean | null>);
        this.setState({ name: 'session_established', jid, auth });
        const held = this.held ?? [];
        this.held = null;
        for (const [text, id] of held) this.deliver(text, id);
      },
      cancel: () => {
        this.jid = null;
        this.held = null;
      },
    };
  }

  // ---- stream header (RFC 6120 §4.7, §4.9) ---------------------------------------------

  private onHeader(name: string, attrs: Record<string, string>): void {
    if (this.state.name !== 'wait_for_stream') {
      this.streamError('not-well-formed', 'unexpected stream header');
      return;
    }
    this.sendHeader(attrs);
    const problem = checkHeader(name, attrs, this.framed, this.ctx.config.domain);
    if (problem) {
      this.streamError(problem.condition, problem.text);
      return;
    }
    const { auth, saslFailures } = this.state;
    if (auth) {
      this.sendFeatures(featuresAfterAuth(this.ctx.ext));
      this.setState({ name: 'wait_for_bind', auth });
      return;
    }
    offerModuleMechanisms(this, () => {
      this.sendFeatures(featuresBeforeAuth(this.transport, this.ctx.config, this.ctx.ext, this.moduleMechanisms));
      this.setState({ name: 'wait_for_feature_before_auth', saslFailures });
    });
  }

  private sendFeatures(list: Element[]): void {
    const features = this.streamLevel(xml('stream:features'));
    for (const f of list) features.append(f);
    this.write(features.toString());
  }

  private sendHeader(attrs: Record<string, string>): void {
    this.write(responseHeader(attrs, this.framed, this.ctx.config.domain, randomBytes(12).toString('base64url')));
    this.headerSent = true;
  }

  /** RFC 7395 §3.4: in WebSocket framing every message is its own document, so stream-level elements declare the prefix. */
  streamLevel(el: Element): Element {
    if (this.framed) el.setAttr('xmlns:stream', NS.stream);
    return el;
  }

  private onXmlError(err: XmlError): void {
    this.log.info('xml error from client', { condition: err.condition, reason: err.message });
    this.ctx.metrics.streamErrors.inc({ condition: err.condition });
    this.streamError(err.condition as StreamErrorCondition, err.message);
  }

  // ---- elements by state ---------------------------------------------------------------

  private dispatch(el: Element): void {
    const s = this.state;
    try {
      switch (s.name) {
        case 'wait_for_stream':
          this.streamError('not-well-formed', 'expected a stream header');
          return;
        case 'wait_for_feature_before_auth':
          beforeAuth(this, el, s.saslFailures);
          return;
        case 'wait_for_sasl_response':
          continueAuth(this, el, s.session);
          return;
        case 'wait_for_sasl2_response':
          continueSasl2(this, el, s.session);
          return;
        case 'wait_for_bind':
          beforeBind(this, el, s.auth);
          return;
        case 'session_established':
          onEstablished(this, el, s.jid);
          return;
        case 'closed':
          return;
      }
    } catch (err) {
      this.log.error('failure handling element', { err, element: el.name });
      this.streamError('internal-server-error');
    }
  }

  /** Resource bound (bind.ts): the connection becomes deliverable. */
  established(jid: Jid, auth: Authenticated): void {
    this.jid = jid;
    this.setState({ name: 'session_established', jid, auth });
    this.ctx.register(this);
    // Flags a module set before binding reach the location entry now.
    if (Object.keys(this.entry).length) void this.ctx.location.update(jid.toString(), this.id, this.entry).catch(() => {});
  }

  /** An actor changed this connection's location entry: keep the copy current (null clears a field). */
  mirrorEntry(patch: Record<string, string | number | boolean | null>): void {
    const entry = this.entry as Record<string, unknown>;
    for (const k of RESOURCE_PATCH_FIELDS) {
      if (!(k in patch)) continue;
      if (patch[k] === null) delete entry[k];
      else entry[k] = patch[k];
    }
  }

  /** The idempotency key of the stanza just admitted: a module's (stable across resumption), else the next own one. */
  stanzaHandOffId(): string {
    for (const h of this.hooks) {
      const id = h.handOffId?.();
      if (id !== undefined) return id;
    }
    return this.nextHandOffId();
  }

  /** The idempotency key of the next stanza handed to an actor. */
  nextHandOffId(): string {
    return `${this.id}:${this.stanzaSeq++}`;
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

  // ---- output and lifecycle -------------------------------------------------------------

  /** A nonza (not counted as a stanza by stream management). */
  send(el: Element): void {
    this.write(el.toString());
  }

  /** A stanza to the client; `deliveryId` when an actor keeps it until acknowledged (XEP-0198). */
  sendStanza(text: string, deliveryId?: string): void {
    if (this.isClosed()) return;
    this.write(text);
    for (const h of this.hooks) h.stanzaOut?.(text, deliveryId);
  }

  /** A delivery from an actor; false when a retried hand-off already delivered it here. */
  deliver(text: string, id?: string): boolean {
    if (this.held) {
      this.held.push([text, id]);
      return true;
    }
    if (id !== undefined && !this.recent.first(id)) return false;
    this.ctx.metrics.stanzaOut(text.startsWith('<m') ? 'message' : text.startsWith('<p') ? 'presence' : 'iq');
    for (const h of this.hooks) if (h.outbound?.(text, id) === 'hold') return true;
    this.sendStanza(text, id);
    return true;
  }

  /** Write serialized XML; a reader too slow to keep up is disconnected rather than buffered forever. */
  private write(data: string): void {
    if (this.isClosed()) return;
    this.transport.write(data);
    if (this.transport.writeBacklog() > 8 * 1024 * 1024) {
      this.log.warn('client not reading, closing', { backlog: this.transport.writeBacklog() });
      this.streamError('policy-violation', 'not reading fast enough');
    }
  }

  /** Send a stream error and close (RFC 6120 §4.9.1.1: error, then close the stream). */
  streamError(condition: StreamErrorCondition, text?: string, detail?: string): void {
    if (this.isClosed()) return;
    if (!this.headerSent) this.sendHeader({});
    this.write(this.streamLevel(streamErrorElement(condition, text, detail)).toString());
    this.close();
  }

  close(abrupt = false): void {
    if (this.isClosed()) return;
    if (!abrupt && this.headerSent) this.transport.write(this.framed ? `<close xmlns="${NS.framing}"/>` : '</stream:stream>');
    this.state = { name: 'closed' };
    this.transport.close();
    void this.teardown();
  }

  /** Resolves once the edge has cleaned up after this connection (presence, location entry). */
  teardown(): Promise<void> {
    if (this.torn) return this.torn;
    if (this.deadline) clearTimeout(this.deadline);
    this.state = { name: 'closed' };
    this.input.stop();
    for (const h of this.hooks) h.closed?.();
    this.ctx.metrics.connections.dec({ transport: this.transport.kind });
    this.torn = this.ctx.connectionClosed(this);
    return this.torn;
  }

  private armDeadline(): void {
    if (this.deadline) clearTimeout(this.deadline);
    this.deadline = null;
    this.deadlineKind = DEADLINE[this.state.name];
    if (this.deadlineKind === 'negotiation') {
      this.deadline = setTimeout(() => this.streamError('connection-timeout', 'timed out'), this.ctx.config.negotiationTimeoutSec * 1000);
      this.deadline.unref();
    } else if (this.deadlineKind === 'idle') this.armIdle();
  }

  /** RFC 6120 §4.6: an established stream silent for the idle timeout is closed (whitespace counts). */
  private armIdle(): void {
    const idleMs = this.ctx.config.idleTimeoutSec * 1000;
    const check = () => {
      const silent = Date.now() - this.input.lastInput;
      if (silent >= idleMs) {
        this.streamError('connection-timeout', 'idle for too long');
        return;
      }
      this.deadline = setTimeout(check, idleMs - silent);
      this.deadline.unref();
    };
    this.input.lastInput = Date.now();
    this.deadline = setTimeout(check, idleMs);
    this.deadline.unref();
  }
}
