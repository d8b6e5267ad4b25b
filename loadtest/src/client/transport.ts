// The socket behind a client connection. The stream state machine only sees this interface, never
// `net`, `tls` or `ws` (one file per transport).

export type TransportKind = 'starttls' | 'tls' | 'tcp' | 'ws' | 'wss';

export interface TlsOptions {
  /** Verify the server certificate (off by default: load tests usually run against self-signed certs). */
  verify: boolean;
  /** Name to check the certificate against and to send as SNI. */
  servername: string;
}

export interface TransportEvents {
  /** Raw text for stream transports; one complete top-level element per call for framed ones. */
  data(text: string): void;
  close(error?: Error): void;
}

export interface Transport {
  /** True when each message is one whole element (RFC 7395 WebSocket framing). */
  readonly framed: boolean;
  send(text: string): void;
  /** Bytes accepted by send() but not yet handed to the kernel: the sign of back-pressure. */
  pending(): number;
  /** Upgrade in place to TLS (RFC 6120 §5.4.3.3); only stream transports support it. */
  startTls?(tls: TlsOptions): Promise<void>;
  close(): void;
}

export interface Endpoint {
  host: string;
  port: number;
  /** Path for WebSocket endpoints. */
  path: string;
}
