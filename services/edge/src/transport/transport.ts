// The stream state machine talks to sockets only through this interface (STYLE.md §4);
// TCP (with STARTTLS), direct TLS and WebSocket each live in their own file.

import type { ChannelBindingType } from '@parley/sasl';

export type { ChannelBindingType };

export interface TransportEvents {
  /** Raw bytes for the stream parser (TCP/TLS), or one complete framed element (WebSocket). */
  data(chunk: Buffer | string): void;
  close(): void;
}

export interface Transport {
  /** 'stream': one XML document over the connection (RFC 6120); 'framed': one element per message (RFC 7395). */
  readonly framing: 'stream' | 'framed';
  readonly kind: 'tcp' | 'tls' | 'websocket';
  readonly remoteAddress: string;
  /** True once the bytes are protected by TLS (including WebSocket over https). */
  secure(): boolean;
  /** STARTTLS is possible on this transport now (plain TCP only). */
  canStartTls(): boolean;
  /** Upgrade in place (RFC 6120 §5.4.3.3); resolves once the TLS handshake completes. */
  startTls(): Promise<void>;
  channelBinding(type: ChannelBindingType): Buffer | undefined;
  /** The certificate (DER) the client presented in the TLS handshake, or null (none asked for, none sent, no TLS). */
  clientCertificate(): Buffer | null;
  /** TLS session peer certificate / protocol info for logging. */
  tlsInfo(): { protocol: string | null; cipher: string | null } | null;
  setEvents(ev: TransportEvents): void;
  write(data: string): void;
  /** Stop reading (rate limiting applies back-pressure rather than dropping data). */
  pause(): void;
  resume(): void;
  /** Close after flushing pending writes. */
  close(): void;
  /** Bytes waiting in the kernel/user-space write buffer (slow-reader protection). */
  writeBacklog(): number;
}

