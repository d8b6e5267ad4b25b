import type { Socket } from 'node:net';
import { connect as tlsConnect, type PeerCertificate, type SecureContext, TLSSocket } from 'node:tls';
import { tlsChannelBinding } from '@parley/sasl';
import type { ChannelBindingType, Transport, TransportEvents } from './transport.ts';

/**
 * How STARTTLS runs on this socket: as the server (client streams; server-to-server streams we
 * received, which also ask for the peer's certificate), or as the client (streams we initiated to
 * another server, which present ours and check theirs).
 */
export type TlsRole = { side: 'server'; requestCert?: boolean } | { side: 'client'; servername: string };

/** The peer's certificate after the handshake: whether it chains to a trusted CA, and the certificate. */
export interface PeerCertificateInfo {
  authorized: boolean;
  /** Why the chain was not trusted (OpenSSL's code, e.g. CERT_HAS_EXPIRED), null when it is. */
  error: string | null;
  cert: PeerCertificate | null;
}

/**
 * A TCP socket carrying an XMPP stream; STARTTLS upgrades it in place (RFC 6120 §5).
 * Also used for direct TLS (XEP-0368) by passing an already-secure TLSSocket.
 */
export class SocketTransport implements Transport {
  readonly framing = 'stream' as const;
  readonly kind: 'tcp' | 'tls';
  readonly remoteAddress: string;
  private sock: Socket;
  private tls: TLSSocket | null;
  private events: TransportEvents | null = null;
  private closed = false;

  constructor(
    sock: Socket,
    private readonly secureContext: SecureContext,
    private readonly role: TlsRole = { side: 'server' },
  ) {
    this.sock = sock;
    this.tls = sock instanceof TLSSocket ? sock : null;
    this.kind = this.tls ? 'tls' : 'tcp';
    this.remoteAddress = sock.remoteAddress ?? 'unknown';
    sock.setNoDelay(true);
    this.attach(sock);
  }

  private attach(sock: Socket): void {
    sock.on('data', this.onData);
    sock.on('close', this.onClose);
    sock.on('error', () => sock.destroy());
  }

  private readonly onData = (chunk: Buffer) => this.events?.data(chunk);
  private readonly onClose = () => {
    if (this.closed) return;
    this.closed = true;
    this.events?.close();
  };

  setEvents(ev: TransportEvents): void {
    this.events = ev;
  }

  secure(): boolean {
    return this.tls !== null;
  }

  canStartTls(): boolean {
    return this.tls === null;
  }

  startTls(): Promise<void> {
    const raw = this.sock;
    raw.off('data', this.onData);
    raw.off('close', this.onClose);
    return new Promise((resolve, reject) => {
      // The chain is checked by the caller (peerCertificate), which knows the policy and the name to expect.
      const tls =
        this.role.side === 'client'
          ? tlsConnect({ socket: raw, secureContext: this.secureContext, servername: this.role.servername, rejectUnauthorized: false })
          : new TLSSocket(raw, { isServer: true, secureContext: this.secureContext, requestCert: this.role.requestCert === true, rejectUnauthorized: false });
      this.sock = tls;
      this.tls = tls;
      const fail = (err: Error) => {
        tls.destroy();
        reject(err);
      };
      tls.once('error', fail);
      tls.once(this.role.side === 'client' ? 'secureConnect' : 'secure', () => {
        tls.off('error', fail);
        this.attach(tls);
        resolve();
      });
      // If the peer hangs up mid-handshake, report the close once.
      tls.once('close', () => {
        if (!this.closed && tls.listenerCount('data') === 0) this.onClose();
      });
    });
  }

  channelBinding(type: ChannelBindingType): Buffer | undefined {
    return this.tls ? tlsChannelBinding(this.tls)(type) : undefined;
  }

  clientCertificate(): Buffer | null {
    if (!this.tls || this.role.side !== 'server') return null;
    const raw = this.tls.getPeerCertificate()?.raw;
    return raw && raw.length > 0 ? raw : null;
  }

  peerCertificate(): PeerCertificateInfo | null {
    if (!this.tls) return null;
    const cert = this.tls.getPeerCertificate(true);
    const present = cert && Object.keys(cert).length > 0 ? cert : null;
    if (!present) return { authorized: false, error: 'NO_CERTIFICATE', cert: null };
    if (this.role.side === 'client') {
      const err = this.tls.authorizationError;
      const code = err ? String((err as Error & { code?: string }).code ?? err) : null;
      // `authorized` also covers the name Node checked against `servername`; the chain alone is what is asked here.
      const chainOk = this.tls.authorized || code === 'ERR_TLS_CERT_ALTNAME_INVALID';
      return { authorized: chainOk, error: chainOk ? null : code, cert: present };
    }
    // A TLSSocket made outside a tls.Server does not fill in `authorized`: ask OpenSSL's verdict directly.
    const handle = (this.tls as unknown as { ssl?: { verifyError(): (Error & { code?: string }) | null } }).ssl;
    const err: (Error & { code?: string }) | null = handle ? handle.verifyError() : new Error('UNABLE_TO_VERIFY');
    return { authorized: err === null, error: err ? (err.code ?? err.message) : null, cert: present };
  }

  tlsInfo(): { protocol: string | null; cipher: string | null } | null {
    if (!this.tls) return null;
    return { protocol: this.tls.getProtocol(), cipher: this.tls.getCipher()?.name ?? null };
  }

  /**
   * Writes of one tick leave in one TLS record and syscall: cork now, uncork on the next tick.
   * (Profiles of the cluster benchmark showed per-stanza socket writes as the edge's top cost.)
   */
  write(data: string): void {
    if (this.closed || !this.sock.writable) return;
    if (!this.corked) {
      // Uncork the socket that was corked: STARTTLS replaces this.sock within the same tick, and
      // <proceed/> (written to the plain socket) must still leave it.
      const sock = this.sock;
      this.corked = true;
      sock.cork();
      process.nextTick(() => {
        this.corked = false;
        sock.uncork();
      });
    }
    this.sock.write(data);
  }

  private corked = false;

  pause(): void {
    this.sock.pause();
  }

  resume(): void {
    this.sock.resume();
  }

  close(): void {
    if (this.closed) return;
    this.sock.end();
    // Don't wait forever for a peer that never closes its side.
    setTimeout(() => this.sock.destroy(), 2000).unref();
  }

  writeBacklog(): number {
    return this.sock.writableLength;
  }
}
