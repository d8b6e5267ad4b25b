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

const MAX_BACKLOG = 64;
/**
 * Fairness (docs/security.md, flood isolation): a connection with this many stanzas handed to
 * actors and not yet accepted stops being read until half have been; its flood waits in its own
 * socket buffer, not in the actors' mailboxes ahead of everyone else.
 */
const MAX_IN_FLIGHT = 32;
/** Elements one read may produce before the connection yields its turn to the others (read again next turn). */
const MAX_PER_TURN = 64;

export class Input {
  /** Time of the last bytes read, for the idle deadline. */
  lastInput = Date.now();
  private readonly parser: StreamParser | null;
  private readonly bucket: TokenBucket;
  private paused = false;
  private busy = false;
  private stopped = false;
  private readonly backlog: Element[] = [];
  private inFlight = 0;
  private throttled = false;
  private yielding = false;
  private turn = 0;

  constructor(
    private readonly transport: Transport,
    private readonly limits: Partial<XmlLimits>,
    rate: { bytesPerSec: number; burstBytes: number },
    private readonly ev: InputEvents,
  ) {
    this.bucket = new TokenBucket(rate.bytesPerSec, rate.burstBytes);
    this.parser =
      transport.framing === 'stream'
        ? new StreamParser({ onStreamStart: ev.header, onStanza: (el) => this.offer(el), onStreamEnd: ev.end, onError: ev.xmlError }, limits)
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
    this.turn = 0;
    if (this.parser) this.parser.write(chunk);
    else this.frame(typeof chunk === 'string' ? chunk : chunk.toString('utf8'));
    // Bounded work per turn: a read that produced many stanzas lets the other sockets go first.
    if (this.turn > MAX_PER_TURN && !this.yielding) {
      this.yielding = true;
      this.transport.pause();
      setImmediate(() => {
        this.yielding = false;
        this.resumeIfFree();
      });
    }
  }

  /** A stanza was handed to an actor; reading pauses while too many are unanswered. */
  handedOff(): void {
    if (++this.inFlight >= MAX_IN_FLIGHT && !this.throttled) {
      this.throttled = true;
      this.transport.pause();
    }
  }

  /** The actor accepted (or refused) a handed-off stanza. */
  settled(): void {
    this.inFlight--;
    if (this.throttled && this.inFlight <= MAX_IN_FLIGHT / 2) {
      this.throttled = false;
      this.resumeIfFree();
    }
  }

  private resumeIfFree(): void {
    if (!this.stopped && !this.busy && !this.paused && !this.throttled && !this.yielding) this.transport.resume();
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
    while (!this.busy && this.backlog.length > 0 && !this.stopped) this.ev.element(this.backlog.shift()!);
    this.resumeIfFree();
  }

  isHeld(): boolean {
    return this.busy;
  }

  stop(): void {
    this.stopped = true;
  }

  private offer(el: Element): void {
    this.turn++;
    if (!this.busy) {
      this.ev.element(el);
      return;
    }
    if (this.backlog.length >= MAX_BACKLOG) {
      this.ev.overflow();
      return;
    }
    this.backlog.push(el);
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
    else if (el.is('close', NS.framing)) this.ev.end();
    else {
      // Stanzas in framed mode carry their own xmlns (RFC 7395 §3.3.3); default to jabber:client.
      if (!el.attr('xmlns')) el.setAttr('xmlns', NS.client);
      this.offer(el);
    }
  }
}
