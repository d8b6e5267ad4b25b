// Connection limits: new connections a second and concurrent unauthenticated connections per
// address (IPv4, or IPv6 /64), and the stream-header deadline against stalled (slowloris)
// connections. Counted per edge: each edge protects its own sockets.
import type { Logger } from '@parley/log';
import { MemoryRateLimiter, type Rule } from '@parley/ratelimit';
import type { C2SConnection } from '../c2s/connection.ts';
import { addressKey } from './address.ts';
import type { LimitMetrics } from './metrics.ts';

export interface ConnectionRules {
  newPerAddress: Rule;
  unauthenticatedPerAddress: number;
  headerTimeoutMs: number;
  exempt: Set<string>;
}

interface Tracked {
  address: string;
  timer: NodeJS.Timeout | null;
}

export class ConnectionLimits {
  private readonly rate = new MemoryRateLimiter();
  private readonly unauth = new Map<string, number>();
  private readonly tracked = new Map<C2SConnection, Tracked>();

  constructor(
    private readonly rules: ConnectionRules,
    private readonly metrics: LimitMetrics,
    private readonly log: Logger,
  ) {}

  /** A new connection: refused at once (stream error) or tracked as unauthenticated until bound or closed. */
  connected(conn: C2SConnection): void {
    const ip = conn.transport.remoteAddress;
    const address = addressKey(ip);
    const exempt = this.rules.exempt.has(ip) || this.rules.exempt.has(address);
    if (!exempt && !this.rate.takeNow(address, this.rules.newPerAddress).ok) {
      this.refuse(conn, 'new-connections', address, 'too many new connections from your address');
      return;
    }
    const open = this.unauth.get(address) ?? 0;
    if (!exempt && open >= this.rules.unauthenticatedPerAddress) {
      this.refuse(conn, 'unauthenticated', address, 'too many unauthenticated connections from your address');
      return;
    }
    this.unauth.set(address, open + 1);
    this.metrics.unauthenticated.inc();
    // RFC 6120 §4.6.1 leaves the timeout to the server: a TLS handshake or stream header not done
    // in time is a stalled (slowloris) connection, closed with connection-timeout (§4.9.3.4).
    const timer = setTimeout(() => {
      const t = this.tracked.get(conn);
      if (t) t.timer = null;
      const s = conn.state;
      if (s.name === 'wait_for_stream' && s.auth === null) {
        this.metrics.refused('header-timeout');
        this.log.info('stream header not received in time, closing', { address });
        conn.streamError('connection-timeout', 'no stream header in time');
      }
    }, this.rules.headerTimeoutMs);
    timer.unref();
    this.tracked.set(conn, { address, timer });
  }

  /**
   * XEP-0368 direct TLS: a socket counts as unauthenticated from its first byte, not only once its
   * TLS handshake is done, so stalling many handshakes cannot get round the cap. Returns the release
   * (at the end of the handshake, or the socket's close), or null when the cap refuses it: there is
   * no stream yet to carry an error, so the caller drops the socket.
   */
  handshake(ip: string): (() => void) | null {
    const address = addressKey(ip);
    const exempt = this.rules.exempt.has(ip) || this.rules.exempt.has(address);
    const open = this.unauth.get(address) ?? 0;
    if (!exempt && open >= this.rules.unauthenticatedPerAddress) {
      this.metrics.refused('unauthenticated');
      this.log.info('connection refused by limit', { limit: 'unauthenticated', address, tls: 'handshake' });
      return null;
    }
    this.unauth.set(address, open + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const n = (this.unauth.get(address) ?? 1) - 1;
      if (n <= 0) this.unauth.delete(address);
      else this.unauth.set(address, n);
    };
  }

  /** Bound to a resource: no longer counts as unauthenticated. */
  authenticated(conn: C2SConnection): void {
    this.release(conn);
  }

  closed(conn: C2SConnection): void {
    this.release(conn);
  }

  private release(conn: C2SConnection): void {
    const t = this.tracked.get(conn);
    if (!t) return;
    this.tracked.delete(conn);
    if (t.timer) clearTimeout(t.timer);
    const n = (this.unauth.get(t.address) ?? 1) - 1;
    if (n <= 0) this.unauth.delete(t.address);
    else this.unauth.set(t.address, n);
    this.metrics.unauthenticated.dec();
  }

  private refuse(conn: C2SConnection, limit: 'new-connections' | 'unauthenticated', address: string, text: string): void {
    this.metrics.refused(limit);
    this.log.info('connection refused by limit', { limit, address });
    // RFC 6120 §4.9.3.18: the stream must close, with policy-violation.
    conn.streamError('policy-violation', text);
  }
}
