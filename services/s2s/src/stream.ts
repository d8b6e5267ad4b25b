// What an inbound and an outbound server-to-server stream share: the edge's hardened, rate-limited
// input on a transport, the stream header of the jabber:server namespace (RFC 6120 §4.7), stream
// errors (§4.9) and the deadlines (negotiation until authenticated, then idle: §4.6).
import { randomBytes } from 'node:crypto';
import { Input, type SocketTransport } from '@parley/edge';
import type { Logger } from '@parley/log';
import { type Jid, tryParseJid } from '@parley/jid';
import { NS, type StreamErrorCondition, streamErrorElement } from '@parley/stanza';
import { type Element, type XmlError, xml } from '@parley/xml';

export const NS_SERVER = 'jabber:server';
const NS_DB = 'jabber:server:dialback';

export interface StreamLimits {
  maxStanzaBytes: number;
  bytesPerSec: number;
  burstBytes: number;
  negotiationMs: number;
  idleMs: number;
}

export abstract class S2SStream {
  readonly input: Input;
  readonly log: Logger;
  protected closed = false;
  private headerSent = false;
  private deadline: NodeJS.Timeout | null = null;
  /** XEP-0220 §2.1: declare the dialback namespace in our headers (only when the policy allows dialback). */
  dialbackNs = false;

  constructor(
    readonly transport: SocketTransport,
    readonly localDomain: string,
    protected readonly limits: StreamLimits,
    log: Logger,
  ) {
    this.log = log;
    this.input = new Input(transport, { maxStanzaBytes: limits.maxStanzaBytes }, { bytesPerSec: limits.bytesPerSec, burstBytes: limits.burstBytes }, {
      header: (name, attrs) => this.guard(() => this.onHeader(name, attrs)),
      element: (el) => this.guard(() => this.onElement(el)),
      end: () => this.close(),
      xmlError: (err: XmlError) => this.streamError(err.condition as StreamErrorCondition, err.message),
      overflow: () => this.streamError('policy-violation', 'too many elements sent before the previous step finished'),
    });
    transport.setEvents({ data: (c) => this.input.data(c), close: () => this.teardown() });
    this.negotiationDeadline();
  }

  protected abstract onHeader(name: string, attrs: Record<string, string>): void;
  protected abstract onElement(el: Element): void;
  /** The transport is gone: forget the stream. */
  protected abstract ended(): void;

  private guard(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.log.error('failure handling s2s input', { err });
      this.streamError('internal-server-error');
    }
  }

  /** RFC 6120 §4.7: the attributes of a server stream's header; a component stream (XEP-0114) has its own. */
  protected headerAttrs(to: string | undefined, id: string | undefined): Record<string, string | undefined> {
    return { xmlns: NS_SERVER, 'xmlns:stream': NS.stream, 'xmlns:db': this.dialbackNs ? NS_DB : undefined, from: this.localDomain, to, id, version: '1.0', 'xml:lang': 'en' };
  }

  /** Sends our header; `id` only on the receiving side. Returns the stream id sent, if any. */
  protected sendHeader(to: string | undefined, id: boolean): string | undefined {
    const streamId = id ? randomBytes(12).toString('base64url') : undefined;
    const head = xml('stream:stream', this.headerAttrs(to, streamId)).toString();
    this.write(`<?xml version='1.0'?>${head.slice(0, -2)}>`);
    this.headerSent = true;
    return streamId;
  }

  /** §4.7.5 and §4.8.2: the peer's header must be a version 1.0 stream:stream in jabber:server. */
  protected headerProblem(name: string, attrs: Record<string, string>): { condition: StreamErrorCondition; text: string } | null {
    if (name !== 'stream:stream' || attrs['xmlns:stream'] !== NS.stream) return { condition: 'invalid-namespace', text: 'expected stream:stream in the streams namespace' };
    if (attrs.xmlns !== NS_SERVER) return { condition: 'invalid-namespace', text: 'the content namespace must be jabber:server' };
    const version = attrs.version ?? '';
    if (!/^\d+\.\d+$/.test(version) || Number(version.split('.')[0]) !== 1) return { condition: 'unsupported-version', text: 'XMPP version 1.0 is required' };
    return null;
  }

  /**
   * A stanza in the stream's namespace with a `to` and a `from` in `domain` (RFC 6120 §8.1.1.1; a
   * missing `from` becomes `stampFrom` when given), rewritten into jabber:client, the namespace of
   * every stanza inside Parley. Null after a stream error: unsupported-stanza-type, improper-addressing,
   * or invalid-from (§4.9.3.10) for a `from` the stream may not speak for.
   */
  protected checkedStanza(el: Element, ns: string, domain: string, stampFrom?: string): { el: Element; to: Jid } | null {
    if (el.getNS() !== ns || !(el.name === 'message' || el.name === 'presence' || el.name === 'iq')) {
      this.streamError('unsupported-stanza-type', `${el.name} is not a stanza this server accepts`);
      return null;
    }
    const fromRaw = el.attr('from') ?? stampFrom;
    const from = tryParseJid(fromRaw ?? '');
    const to = tryParseJid(el.attr('to') ?? '');
    if (!from || !to) {
      this.streamError('improper-addressing', 'stanzas need valid from and to addresses here');
      return null;
    }
    if (from.domain !== domain) {
      this.streamError('invalid-from', `this stream may only send from ${domain}`);
      return null;
    }
    el.setAttr('from', from.toString());
    el.setAttr('to', to.toString());
    el.setAttr('xmlns', NS.client);
    return { el, to };
  }

  write(data: string): void {
    if (this.closed) return;
    this.transport.write(data);
    if (this.transport.writeBacklog() > 8 * 1024 * 1024) this.streamError('policy-violation', 'not reading fast enough');
  }

  send(el: Element): void {
    this.write(el.toString());
  }

  /** §4.9.1.1: the error, then the closing tag. */
  streamError(condition: StreamErrorCondition, text?: string): void {
    if (this.closed) return;
    this.log.info('s2s stream error', { condition, text });
    if (!this.headerSent) this.sendHeader(undefined, true);
    this.write(streamErrorElement(condition, text).toString());
    this.close();
  }

  close(): void {
    if (this.closed) return;
    if (this.headerSent) this.transport.write('</stream:stream>');
    this.transport.close();
    this.teardown();
  }

  isClosed(): boolean {
    return this.closed;
  }

  private torn = false;

  protected teardown(): void {
    if (this.torn) return;
    this.torn = true;
    this.closed = true;
    if (this.deadline) clearTimeout(this.deadline);
    this.deadline = null;
    this.input.stop();
    this.ended();
  }

  private negotiationDeadline(): void {
    this.deadline = setTimeout(() => this.streamError('connection-timeout', 'stream negotiation took too long'), this.limits.negotiationMs);
    this.deadline.unref();
  }

  /** Authenticated: from now on the idle deadline runs (RFC 6120 §4.6; whitespace counts as traffic). */
  protected established(lastActivity: () => number): void {
    if (this.deadline) clearTimeout(this.deadline);
    const check = () => {
      const quiet = Date.now() - lastActivity();
      if (quiet >= this.limits.idleMs) {
        this.log.debug('closing idle s2s stream');
        this.close();
        return;
      }
      this.deadline = setTimeout(check, this.limits.idleMs - quiet);
      this.deadline.unref();
    };
    this.deadline = setTimeout(check, this.limits.idleMs);
    this.deadline.unref();
  }
}
