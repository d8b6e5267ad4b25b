import { XmlCore } from './core.ts';
import type { Element } from './element.ts';
import { XmlError } from './errors.ts';
import { resolveLimits, type XmlLimits } from './limits.ts';

export interface StreamHandlers {
  /** The stream header, e.g. `<stream:stream ...>` (depth 0). `attrs` include its xmlns declarations. */
  onStreamStart(name: string, attrs: Record<string, string>): void;
  /** Each complete depth-1 element; self-contained: `parent` is null and the root's declarations it relies on are copied. */
  onStanza(el: Element): void;
  /** `</stream:stream>`. */
  onStreamEnd(): void;
  /** Called once; nothing more is emitted until reset(). */
  onError(err: XmlError): void;
}

type Chunk = Buffer | Uint8Array | string;

/**
 * Streaming parser for one XMPP stream. Feed it socket data in chunks of any size. Exceptions thrown by
 * handlers propagate out of write() and leave the parser stopped.
 */
export class StreamParser {
  private readonly core: XmlCore;
  private decoder = new TextDecoder('utf-8', { fatal: true });
  private readonly handlers: StreamHandlers;
  private busy = false;
  private dead = false;
  private readonly queue: Array<Chunk | null> = [];

  constructor(handlers: StreamHandlers, limits?: Partial<XmlLimits>) {
    this.handlers = handlers;
    this.core = new XmlCore(false, resolveLimits(limits), {
      streamStart: (name, attrs) => handlers.onStreamStart(name, attrs),
      element: (el) => handlers.onStanza(el),
      streamEnd: () => handlers.onStreamEnd(),
      error: (err) => handlers.onError(err),
    });
  }

  write(chunk: Chunk): void {
    this.submit(chunk);
  }

  /** The transport closed: an unfinished stream is reported as not-well-formed. */
  end(): void {
    this.submit(null);
  }

  /** Starts a new stream, as after STARTTLS (RFC 6120 §5.4.3.3) or SASL success (§6.4.6); buffered input is dropped. */
  reset(): void {
    this.queue.length = 0;
    this.dead = false;
    this.decoder = new TextDecoder('utf-8', { fatal: true });
    this.core.reset();
  }

  private submit(chunk: Chunk | null): void {
    if (this.busy) {
      // Called from a handler: finish the current chunk first so events stay in order.
      this.queue.push(chunk);
      return;
    }
    this.busy = true;
    try {
      this.process(chunk);
      while (this.queue.length > 0) this.process(this.queue.shift()!);
    } catch (err) {
      this.dead = true;
      this.queue.length = 0;
      throw err;
    } finally {
      this.busy = false;
    }
  }

  private process(chunk: Chunk | null): void {
    if (this.dead || this.core.failed !== null) return;
    let text: string;
    try {
      if (chunk === null) text = this.decoder.decode();
      else if (typeof chunk === 'string') text = chunk;
      else text = this.decoder.decode(chunk, { stream: true });
    } catch {
      // RFC 6120 §4.9.3.22: invalid UTF-8 is <unsupported-encoding/>.
      this.dead = true;
      this.handlers.onError(new XmlError('unsupported-encoding', 'invalid UTF-8'));
      return;
    }
    this.core.feed(text);
    if (chunk === null) this.core.end();
  }
}
