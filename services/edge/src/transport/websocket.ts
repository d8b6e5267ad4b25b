import type { WebSocket } from 'ws';
import type { ChannelBindingType, Transport, TransportEvents } from './transport.ts';

/** RFC 7395: one XML element per WebSocket text message, with <open/> and <close/> framing. */
export class WebSocketTransport implements Transport {
  readonly framing = 'framed' as const;
  readonly kind = 'websocket' as const;
  private events: TransportEvents | null = null;
  private closed = false;
  private readonly pending: Array<Buffer | string> = [];

  constructor(
    private readonly ws: WebSocket,
    readonly remoteAddress: string,
    private readonly isSecure: boolean,
  ) {
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (isBinary) {
        // RFC 7395 §3.2: binary frames are not allowed.
        ws.close(1003, 'binary frames are not supported');
        return;
      }
      if (this.events) this.events.data(data.toString('utf8'));
      else this.pending.push(data.toString('utf8'));
    });
    ws.on('close', () => {
      if (this.closed) return;
      this.closed = true;
      this.events?.close();
    });
    ws.on('error', () => ws.terminate());
  }

  setEvents(ev: TransportEvents): void {
    this.events = ev;
    for (const p of this.pending.splice(0)) ev.data(p);
  }

  secure(): boolean {
    return this.isSecure;
  }

  canStartTls(): boolean {
    return false;
  }

  startTls(): Promise<void> {
    return Promise.reject(new Error('STARTTLS is not available on WebSocket'));
  }

  channelBinding(_type: ChannelBindingType): Buffer | undefined {
    return undefined;
  }

  /** TLS ends at the HTTP server or a proxy in front of it: no client certificate reaches the stream. */
  clientCertificate(): null {
    return null;
  }

  tlsInfo(): null {
    return null;
  }

  write(data: string): void {
    if (!this.closed && this.ws.readyState === this.ws.OPEN) this.ws.send(data);
  }

  pause(): void {
    this.ws.pause();
  }

  resume(): void {
    this.ws.resume();
  }

  close(): void {
    if (this.closed) return;
    this.ws.close(1000);
    setTimeout(() => this.ws.terminate(), 2000).unref();
  }

  writeBacklog(): number {
    return this.ws.bufferedAmount;
  }
}
