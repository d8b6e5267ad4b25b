// Input shaping for one client connection: a byte budget with back-pressure (the socket is paused,
// nothing is dropped), the stream parser or WebSocket framing (RFC 7395), and a bounded backlog of
// elements that arrive while an asynchronous step (SASL, bind) runs, so they are served in order.
import { NS } from '@parley/stanza';
import { type Element, parseFragment, StreamParser, XmlError, type XmlLimits } from '@parley/xml';
import { TokenBucket } from '../rate.ts';
import type { Transport } from '../transport/transport.ts';

export interface InputEvents {
  header(name: string, attrs: Record<string, string>): void;
  element(el: Element): void;
  end(): void;
  xmlError(err: XmlError): void;
  /** Too many elements queued behind an asynchronous step. */
  overflow(): void;
}

/** Elements a client may pipeline behind an asynchronous step (SASL, bind) before it is a policy violation. */
const MAX_BACKLOG = 64;
/**
 * Fairness (docs/security.md, flood isolation): a connection with this many stanzas handed to
 * actors and not yet accepted is not read further until one is; its flood waits in its own
 * socket buffer, not in the event loop and the actors' mailboxes ahead of everyone else.
 */
const MAX_IN_FLIGHT = 8;
/** Elements one connection may have handled per event-loop turn; the rest wait for its next turn. */
const MAX_PER_TURN = 16;

export class Input {
  /** Time of the last bytes read, for the idle deadline. */
  lastInput = Date.now();
  private readonly parser: StreamParser | null;
  private readonly bucket: TokenBucket;
  private paused = false;
  private busy = false;
  private stopped = false;
  /** Parsed elements not handled yet: behind an asynchronous step, or beyond this turn's share. */
  private readonly backlog: Element[] = [];
  private inFlight = 0;
  private scheduled = false;
  private turn = 0;
  private endPending = false;

  constructor(
    private readonly transport: Transport,
    private readonly limits: Partial<XmlLimits>,
    rate: { bytesPerSec: number; burstBytes: number },
    private readonly ev: InputEvents,
  ) {
    this.bucket = new TokenBucket(rate.bytesPerSec, rate.burstBytes);
    this.parser =
      transport.framing === 'stream'
        ? new StreamParser({ onStreamStart: ev.header, onStanza: (el) => this.offer(el), onStreamEnd: () => this.onEnd(), onError: ev.xmlError }, limits)
        : null;
  }

  data(chunk: Buffer | string): void {
    if (this.stopped) return;
    const size = typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
    const wait = this.bucket.take(size);
    if (wait > 0 && !this.paused) {
      this.paused = true;
      this.transport.pause();
      setTimeout(() => {
        this.paused = false;
        this.resumeIfFree();
      }, wait).unref();
    }
    // Idle deadline: note the activity; the timer re-checks when it fires instead of being re-armed per chunk.
    this.lastInput = Date.now();
    if (!this.scheduled) this.turn = 0;
    if (this.parser) this.parser.write(chunk);
    else this.frame(typeof chunk === 'string' ? chunk : chunk.toString('utf8'));
  }

  /** After STARTTLS or SASL success the stream restarts with a new header (RFC 6120 §5.4.3.3, §6.4.6). */
  restart(): void {
    this.parser?.reset();
  }

  /** Stop reading and queue elements until `release`; input is throttled at the socket too. */
  hold(): void {
    this.busy = true;
    this.transport.pause();
  }

  release(): void {
    this.busy = false;
    if (this.stopped) return;
    this.turn = 0;
    this.drain();
  }

  isHeld(): boolean {
    return this.busy;
  }

  stop(): void {
    this.stopped = true;
  }

  /** A stanza was handed to an actor; reading pauses while too many are unanswered. */
  handedOff(): void {
    if (++this.inFlight >= MAX_IN_FLIGHT) this.transport.pause();
  }

  /** The actor accepted (or refused) a handed-off stanza. */
  settled(): void {
    this.inFlight--;
    if (this.inFlight >= MAX_IN_FLIGHT) return;
    if (this.backlog.length > 0) this.later();
    else this.resumeIfFree();
  }

  private ready(): boolean {
    return !this.stopped && !this.busy && this.inFlight < MAX_IN_FLIGHT && this.turn < MAX_PER_TURN;
  }

  private offer(el: Element): void {
    if (this.backlog.length === 0 && this.ready()) {
      this.turn++;
      this.ev.element(el);
      return;
    }
    if (this.busy && this.backlog.length >= MAX_BACKLOG) {
      this.ev.overflow();
      return;
    }
    this.backlog.push(el);
    this.transport.pause();
    if (!this.busy) this.later();
  }

  private onEnd(): void {
    if (this.backlog.length === 0) this.ev.end();
    else this.endPending = true;
  }

  /** Go on with the backlog in a later turn, after the other connections had theirs. */
  private later(): void {
    if (this.scheduled || this.stopped) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.turn = 0;
      this.drain();
    });
  }

  private drain(): void {
    while (this.backlog.length > 0 && this.ready()) {
      this.turn++;
      this.ev.element(this.backlog.shift()!);
    }
    if (this.stopped) return;
    if (this.backlog.length === 0) {
      if (this.endPending) {
        this.endPending = false;
        this.ev.end();
        return;
      }
      this.resumeIfFree();
    } else if (!this.busy && this.inFlight < MAX_IN_FLIGHT) this.later();
  }

  private resumeIfFree(): void {
    if (!this.stopped && !this.busy && !this.paused && this.inFlight < MAX_IN_FLIGHT && this.backlog.length === 0) this.transport.resume();
  }

  /** RFC 7395 §3.3.3: each WebSocket message is exactly one element. */
  private frame(text: string): void {
    if (text.trim() === '') return; // whitespace keepalive is harmless here too
    let el: Element;
    try {
      el = parseFragment(text, this.limits);
    } catch (err) {
      this.ev.xmlError(err instanceof XmlError ? err : new XmlError('not-well-formed', 'unparsable frame'));
      return;
    }
    if (el.is('open', NS.framing)) this.ev.header('open', el.attrs);
    else if (el.is('close', NS.framing)) this.onEnd();
    else {
      // Stanzas in framed mode carry their own xmlns (RFC 7395 §3.3.3); default to jabber:client.
      if (!el.attr('xmlns')) el.setAttr('xmlns', NS.client);
      this.offer(el);
    }
  }
}
