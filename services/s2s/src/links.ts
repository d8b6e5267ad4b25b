// One outbound stream per remote domain, reused (RFC 6120 §4.2.2 allows one per domain pair):
// stanzas wait in a bounded queue while it connects, and when it cannot be established they are
// answered with remote-server-not-found or remote-server-timeout (§8.3.3.19, §8.3.3.20).
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type SecureContext } from 'node:tls';
import { SocketTransport } from '@parley/edge';
import type { Logger } from '@parley/log';
import type { StanzaErrorCondition } from '@parley/stanza';
import type { Element } from '@parley/xml';
import type { Dialback } from './dialback.ts';
import type { S2SMetrics } from './metrics.ts';
import { type OutboundFailure, OutboundStream } from './outbound.ts';
import type { Resolver } from './resolve.ts';
import type { HostPort } from './settings.ts';
import type { StreamLimits } from './stream.ts';
import type { Verdict } from './verify.ts';

/** Stanzas one remote domain may have waiting; more are bounced at once (resource-constraint). */
export const MAX_QUEUE = 1000;

interface Link {
  stream: OutboundStream | null;
  queue: Element[];
  up: boolean;
  timer: NodeJS.Timeout | null;
}

export interface LinkDeps {
  localDomain: string;
  secureContext: SecureContext;
  resolve: Resolver;
  limits: StreamLimits;
  log: Logger;
  metrics: S2SMetrics;
  verify(stream: OutboundStream): Verdict;
  /** Dialback keys when the policy allows dialback over TLS (XEP-0220), else null. */
  dialback: Dialback | null;
  /** Answer a stanza we could not send (the error goes to its local sender). */
  bounce(stanza: Element, condition: StanzaErrorCondition, text: string): void;
}

export class OutboundLinks {
  private readonly links = new Map<string, Link>();
  private stopped = false;

  constructor(private readonly deps: LinkDeps) {}

  /** Send to `domain`; false when the queue is full (the caller refuses the stanza). */
  send(domain: string, stanza: Element): boolean {
    if (this.stopped) return false;
    let link = this.links.get(domain);
    if (link?.up && link.stream && !link.stream.isClosed()) {
      link.stream.stanza(stanza);
      this.deps.metrics.stanzas.inc({ direction: 'out' });
      return true;
    }
    if (!link) {
      link = { stream: null, queue: [], up: false, timer: null };
      this.links.set(domain, link);
      void this.open(domain, link);
    }
    if (link.queue.length >= MAX_QUEUE) return false;
    link.queue.push(stanza);
    this.deps.metrics.queueDepth.set({ domain }, link.queue.length);
    return true;
  }

  private async open(domain: string, link: Link): Promise<void> {
    const { deps } = this;
    // §8.3.3.20: a domain that does not answer within the negotiation time is a timeout.
    link.timer = setTimeout(() => this.give(domain, link, 'remote-server-timeout', 'timeout', 'no authenticated stream within the time allowed'), deps.limits.negotiationMs);
    link.timer.unref();
    let targets: HostPort[];
    try {
      targets = await deps.resolve(domain);
    } catch {
      targets = [];
    }
    for (const target of targets) {
      if (this.links.get(domain) !== link) return;
      const sock = await connectTo(target, domain, deps.secureContext).catch(() => null);
      if (!sock) continue;
      if (this.links.get(domain) !== link) {
        sock.destroy();
        return;
      }
      const transport = new SocketTransport(sock, deps.secureContext, { side: 'client', servername: domain });
      const log = deps.log.child({ peer: domain, direction: 'out' });
      const failure = await new Promise<{ reason: OutboundFailure; detail: string } | null>((resolve) => {
        link.stream = new OutboundStream(transport, deps.localDomain, domain, deps.limits, log, {
          verify: (s) => deps.verify(s),
          ready: () => resolve(null),
          failed: (_s, reason, detail) => resolve({ reason, detail }),
          ended: (s) => this.ended(domain, s),
        }, { dialback: deps.dialback });
      });
      if (!failure) return this.ready(domain, link);
      if (this.links.get(domain) !== link) return;
      deps.metrics.authFailures.inc({ direction: 'out', reason: failure.reason });
      // A peer that refused us or failed the certificate check is not tried on other addresses.
      if (failure.reason !== 'stream-error' || targets.length === 1) return this.give(domain, link, 'remote-server-not-found', failure.reason, failure.detail);
    }
    if (this.links.get(domain) === link) {
      deps.metrics.authFailures.inc({ direction: 'out', reason: 'connect' });
      this.give(domain, link, 'remote-server-not-found', 'connect', `no server of ${domain} could be reached`);
    }
  }

  private ready(domain: string, link: Link): void {
    if (link.timer) clearTimeout(link.timer);
    link.up = true;
    this.deps.metrics.connections.inc({ direction: 'out', domain });
    const queued = link.queue.splice(0);
    this.deps.metrics.queueDepth.set({ domain }, 0);
    for (const stanza of queued) link.stream!.stanza(stanza);
    this.deps.metrics.stanzas.inc({ direction: 'out' }, queued.length);
  }

  /** The link failed: everything queued is answered with `condition`; the next stanza tries again. */
  private give(domain: string, link: Link, condition: StanzaErrorCondition, reason: string, detail: string): void {
    if (this.links.get(domain) !== link) return;
    this.links.delete(domain);
    if (link.timer) clearTimeout(link.timer);
    if (reason === 'timeout') this.deps.metrics.authFailures.inc({ direction: 'out', reason });
    link.stream?.close();
    const queued = link.queue.splice(0);
    this.deps.metrics.queueDepth.set({ domain }, 0);
    this.deps.log.info('remote domain unreachable', { domain, reason, detail, bounced: queued.length });
    for (const stanza of queued) this.deps.bounce(stanza, condition, detail);
  }

  private ended(domain: string, stream: OutboundStream): void {
    const link = this.links.get(domain);
    if (!link || link.stream !== stream) return;
    if (link.up) {
      this.links.delete(domain);
      this.deps.metrics.connections.dec({ direction: 'out', domain });
    }
  }

  /**
   * XEP-0220 §2.3 as the receiving server: a stream of its own to `domain`'s authoritative server
   * (found like any other: static hosts, then SRV), TLS, one db:verify for our stream `streamId`.
   * False when the key is invalid or the server cannot be asked within the negotiation time.
   */
  async verifyDialback(domain: string, streamId: string, key: string): Promise<boolean> {
    const { deps } = this;
    let targets: HostPort[] = [];
    try {
      targets = await deps.resolve(domain);
    } catch {
      // unresolvable: invalid
    }
    for (const target of targets) {
      const sock = await connectTo(target, domain, deps.secureContext).catch(() => null);
      if (!sock) continue;
      const transport = new SocketTransport(sock, deps.secureContext, { side: 'client', servername: domain });
      return new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), deps.limits.negotiationMs);
        const done = (valid: boolean) => {
          clearTimeout(timer);
          resolve(valid);
        };
        const stream = new OutboundStream(
          transport,
          deps.localDomain,
          domain,
          deps.limits,
          deps.log.child({ peer: domain, direction: 'out', dialback: 'verify' }),
          { verify: (s) => deps.verify(s), ready: () => {}, failed: () => done(false), ended: () => done(false) },
          { dialback: deps.dialback, verify: { id: streamId, key, done } },
        );
        timer.unref();
        void stream;
      });
    }
    return false;
  }

  /**
   * Close the established streams to the domains `which` selects (another process serves them now).
   * A link still connecting keeps its queue and is left to deliver it: bouncing what was accepted
   * would lose it; its stream then ends by itself when idle.
   */
  release(which: (domain: string) => boolean): void {
    for (const [domain, link] of [...this.links]) {
      if (!which(domain) || !link.up) continue;
      this.links.delete(domain);
      this.deps.metrics.connections.dec({ direction: 'out', domain });
      link.stream?.close();
    }
  }

  stop(): void {
    this.stopped = true;
    for (const [domain, link] of [...this.links]) this.give(domain, link, 'remote-server-not-found', 'shutdown', 'the server is shutting down');
  }
}

function connectTo(target: HostPort, domain: string, secureContext: SecureContext): Promise<Socket> {
  return new Promise((resolve, reject) => {
    // XEP-0368 §3: direct TLS names the domain (SNI) and offers the xmpp-server ALPN protocol.
    const sock = target.directTls
      ? tlsConnect({ host: target.host, port: target.port, servername: domain, secureContext, ALPNProtocols: ['xmpp-server'], rejectUnauthorized: false })
      : netConnect({ host: target.host, port: target.port });
    const ok = target.directTls ? 'secureConnect' : 'connect';
    sock.once(ok, () => {
      sock.off('error', reject);
      resolve(sock);
    });
    sock.once('error', reject);
  });
}
