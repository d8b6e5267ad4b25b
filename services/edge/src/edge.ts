// buildEdgeService: client sockets (TCP+STARTTLS, direct TLS, WebSocket), stream negotiation,
// and the hand-off of stamped stanzas to the actors over the bus (ARCHITECTURE.md, Processes).
import { randomBytes } from 'node:crypto';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import { createSecureContext, createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
import type { Bus, Subscription } from '@parley/bus';
import type { ParleyConfig } from '@parley/config';
import type { EdgeExtensions } from '@parley/ext';
import type { LocationService } from '@parley/location';
import type { Logger } from '@parley/log';
import type { Store } from '@parley/store';
import { type ActorService, actorSubject, controlSubject, edgeSubject } from '@parley/subjects';
import { announceResourceGone, HandOffError, type RetryOptions, requestWithRetry } from '@parley/actor';
import { type ActorReply, type ActorRequest, type EdgeMessage, stampTo, stanzasOf, type WireMessage } from '@parley/wire';
import type { Element } from '@parley/xml';
import fastifyWebsocket from '@fastify/websocket';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import { C2SConnection } from './c2s/connection.ts';
import type { TlsMaterial } from './certs.ts';
import type { EdgeContext } from './context.ts';
import { createEdgeLimits, type SharedLimitState } from './limits/index.ts';
import { busResync } from './bus-resync.ts';
import { CleanupGate } from './cleanup-gate.ts';
import { edgeLiveness } from './liveness.ts';
import { createEdgeMetrics } from './metrics.ts';
import { SocketTransport } from './transport/tcp.ts';
import { WebSocketTransport } from './transport/websocket.ts';

/** Departed sessions' clean-ups one edge runs at once (cleanup-gate.ts); the others queue at the edge. */
const CLEANUP_CONCURRENCY = 128;

export interface EdgeDeps {
  config: ParleyConfig;
  log: Logger;
  edgeId: string;
  bus: Bus<WireMessage>;
  location: LocationService;
  store: Pick<Store, 'users' | 'loginHistory' | 'fastTokens' | 'uploads' | 'invitations' | 'clientCerts'>;
  tls: TlsMaterial;
  registry: Registry;
  /** The loaded extension modules' edge part (stream features, local IQs, connection hooks). */
  ext: EdgeExtensions;
  /** Extra HTTP routes on the same server (health, metrics, admin). */
  httpRoutes?: (app: FastifyInstance) => void;
  /** Hand-off retry budget; in a cluster it must outlast a shard lease so a crashed owner is replaced in time. */
  handoffRetry?: RetryOptions;
  /** Liveness TTL: the edge heartbeats every third of it; a silent edge's sessions are reaped. */
  edgeTtlMs?: number;
  /** Treat WebSocket clients as secure: behind a TLS-terminating proxy (like Prosody's consider_websocket_secure). */
  websocketSecure?: boolean;
  /** Cluster mode: account buckets and login failures shared through Redis (default: this process's memory). */
  sharedLimits?: SharedLimitState;
}

export interface EdgeService {
  start(): Promise<{ c2s: number; c2sTls: number; http: number }>;
  /** Graceful drain: stop accepting, close streams with system-shutdown, drop location entries. */
  stop(): Promise<void>;
  connectionCount(): number;
  /** Lift a brute-force lock and forget the account's failed logins (`parley user unlock`). */
  unlockAccount(user: string): Promise<void>;
}

export function buildEdgeService(deps: EdgeDeps): EdgeService {
  const { config, log, edgeId, bus, location } = deps;
  const metrics = createEdgeMetrics(deps.registry);
  const limits = createEdgeLimits(config, log, deps.registry, deps.sharedLimits);
  const conns = new Map<string, C2SConnection>();
  const all = new Set<C2SConnection>();
  const secureContext = createSecureContext({ cert: deps.tls.cert, key: deps.tls.key, minVersion: 'TLSv1.2' });
  let sub: Subscription | null = null;
  let revocations: Subscription | null = null;
  let stopResync: (() => void) | null = null;
  let c2sServer: NetServer | null = null;
  let tlsServer: TlsServer | null = null;
  let http: FastifyInstance | null = null;
  const edgeTtlMs = deps.edgeTtlMs ?? 15_000;
  const cleanups = new CleanupGate(CLEANUP_CONCURRENCY);
  const retry: RetryOptions = deps.handoffRetry ?? {};

  const ctx: EdgeContext = {
    config,
    log,
    edgeId,
    store: deps.store,
    location,
    fakeSaltSecret: randomBytes(32),
    metrics,
    limits,
    ext: deps.ext,
    register(conn) {
      conns.set(conn.id, conn);
      limits.authenticated(conn);
    },
    async connectionClosed(conn) {
      all.delete(conn);
      conns.delete(conn.id);
      limits.closed(conn);
      const jid = conn.jid;
      if (!jid) return;
      // A module may keep the session without this connection (XEP-0198 §5 detached, or taken over).
      const keeping = conn.hooks.map((h) => h.ended?.(conn.clientClosed)).filter((p) => p !== undefined);
      if (keeping.length && (await Promise.all(keeping.map((p) => p.catch(() => false)))).some(Boolean)) return;
      const gone = { jid: jid.toString(), conn: conn.id, edge: edgeId, available: conn.available, sm: conn.entry.sm };
      await cleanups.run(async () => {
        await announceResourceGone(bus, gone, (err, service) => {
          metrics.busErrors.inc({ kind: 'resource-gone' });
          log.warn(`${service} cleanup failed`, { err: err.message, jid: gone.jid });
        });
        await location.unregister(gone.jid, conn.id);
      });
    },
    acknowledged(conn, ids) {
      location.outboxAck(conn.id, ids).catch((err) => log.warn('outbox ack failed', { err: (err as Error).message }));
    },
    route(stanza: Element, service: ActorService, key: string, conn: C2SConnection, id: string) {
      const msg: ActorRequest = { kind: 'stanza', key, stanza, id, origin: { edge: edgeId, conn: conn.id, jid: conn.jid!.toString() } };
      // One hand-off at a time per connection and actor: retries after a shard move or a crash
      // must not let a later stanza to the same actor overtake an earlier one.
      conn.input.handedOff();
      return conn.chain(`${service}|${key}`, async () => {
        const end = metrics.handoff.startTimer({ service });
        let reply: ActorReply;
        try {
          // Retried on no-responders, timeouts and shard moves; the id makes a retry idempotent.
          reply = await requestWithRetry(bus, actorSubject(service, key), msg, retry);
        } catch (err) {
          metrics.busErrors.inc({ kind: err instanceof HandOffError ? err.last : ((err as { code?: string }).code ?? 'unknown') });
          throw { condition: err instanceof HandOffError ? 'resource-constraint' : 'internal-server-error', cause: err };
        } finally {
          end();
        }
        if (!reply.ok) throw { condition: reply.condition, text: reply.text };
      }).finally(() => conn.input.settled());
    },
    sessionsGone(entries) {
      for (const e of entries) {
        void announceResourceGone(bus, e, (err, service) => {
          metrics.busErrors.inc({ kind: 'resource-gone' });
          log.warn(`${service} cleanup failed`, { err: err.message, jid: e.jid });
        });
      }
    },
    kick(entry, condition, text) {
      const m: EdgeMessage = { kind: 'kick', conn: entry.conn, condition, text };
      if (entry.edge === edgeId) onEdgeMessage(m);
      else bus.publish(edgeSubject(entry.edge), m);
    },
    revokeCredential(credential, text) {
      // Every edge (this one included) hears it on the control subject: the bus is in-process in embedded mode.
      bus.publish(controlSubject('credentials'), { kind: 'credential-revoked', credential, text });
    },
    tell(service, msg) {
      bus.request(actorSubject(service, msg.key), msg, { timeoutMs: 10_000 }).catch((err: Error) => {
        metrics.busErrors.inc({ kind: 'tell' });
        log.warn('actor request failed', { err: err.message, service, kind: msg.kind });
      });
    },
  };

  function onEdgeMessage(m: WireMessage): undefined {
    if (!('kind' in m)) return;
    switch (m.kind) {
      case 'deliver': {
        const stale: string[] = [];
        for (const t of m.targets) {
          const conn = conns.get(t.conn);
          // A broadcast along a pruned presence tree reaches available resources only (RFC 6121 §4.4.2);
          // one it names that is gone or unavailable goes back to the publisher, which repairs its tree.
          if (m.tree !== undefined && (conn === undefined || !conn.available)) stale.push(t.conn);
          else if (conn) for (const xml of stanzasOf(m)) conn.deliver(t.to ? stampTo(xml, t.to) : xml, m.id);
        }
        if (stale.length > 0 && m.tree !== undefined) {
          bus.request(actorSubject('presence', m.tree), { kind: 'presence-stale', key: m.tree, edge: edgeId, conns: stale }, { timeoutMs: 10_000 }).catch((err) => {
            metrics.busErrors.inc({ kind: 'presence-stale' });
            log.debug('stale tree report failed', { err: (err as Error).message });
          });
        }
        return;
      }
      case 'kick':
        conns.get(m.conn)?.streamError(m.condition as Parameters<C2SConnection['streamError']>[0], m.text);
        return;
      case 'entry':
        conns.get(m.conn)?.mirrorEntry(m.patch);
        return;
    }
    return;
  }

  /** RFC 6120 §4.9.3.14: a stream whose credential was revoked no longer meets the server's policy. */
  function onControl(m: WireMessage): undefined {
    if (!('kind' in m) || m.kind !== 'credential-revoked') return;
    for (const conn of all) {
      const s = conn.state;
      if ('auth' in s && s.auth?.credential === m.credential) {
        log.info('closing a stream whose credential was revoked', { conn: conn.id, jid: conn.jid?.toString() });
        conn.streamError('policy-violation', m.text);
      }
    }
    return;
  }

  // Client certificates are asked for (never required: rejectUnauthorized false) so SASL EXTERNAL can
  // be offered for one (XEP-0178 §2); the module that offers it judges the certificate.
  const clientTls = { side: 'server' as const, requestCert: config.certAuth };

  const liveness = edgeLiveness({ edgeId, location, log, registry: deps.registry, ttlMs: edgeTtlMs, sessions: () => conns.values(), route: ctx.route });

  function accept(transport: SocketTransport | WebSocketTransport): void {
    const conn = new C2SConnection(ctx, transport);
    all.add(conn);
    limits.connected(conn);
  }

  return {
    async start() {
      await liveness.start();
      sub = bus.subscribe(edgeSubject(edgeId), onEdgeMessage);
      revocations = bus.subscribe(controlSubject('credentials'), onControl);
      stopResync = busResync({ instance: edgeId, bus, log, registry: deps.registry, sessions: () => conns.values() });
      c2sServer = createNetServer((sock) => accept(new SocketTransport(sock, secureContext, clientTls)));
      // XEP-0368 direct TLS. The certificate goes in as the context's own options: tls.createServer
      // ignores a `secureContext` option and would offer no certificate at all.
      const handshaking = new Map<string, () => void>();
      const peer = (s: { remoteAddress?: string; remotePort?: number }) => `${s.remoteAddress}|${s.remotePort}`;
      tlsServer = createTlsServer(
        {
          cert: deps.tls.cert,
          key: deps.tls.key,
          minVersion: 'TLSv1.2',
          ALPNProtocols: ['xmpp-client'],
          handshakeTimeout: config.streamHeaderTimeoutSec * 1000,
          requestCert: config.certAuth,
          rejectUnauthorized: false,
        },
        (sock) => {
          handshaking.get(peer(sock))?.();
          accept(new SocketTransport(sock, secureContext, clientTls));
        },
      );
      // Sockets in their handshake count against the unauthenticated cap (slowloris in TLS).
      tlsServer.on('connection', (raw: Socket) => {
        const release = limits.handshake(raw.remoteAddress ?? 'unknown');
        if (!release) {
          raw.destroy();
          return;
        }
        const key = peer(raw);
        const done = () => {
          handshaking.delete(key);
          release();
        };
        handshaking.set(key, done);
        raw.once('close', done);
      });
      // A failed or timed-out handshake (handshakeTimeout: RFC 6120 §4.6.1 leaves the deadline to us)
      // is only reported by Node: the socket stays open until it is destroyed here.
      tlsServer.on('tlsClientError', (err, sock) => {
        log.debug('tls client error', { err: err.message });
        sock.destroy();
      });
      const c2s = await listen(c2sServer, config.c2sPort, config.bindAddress);
      const c2sTls = await listen(tlsServer, config.c2sTlsPort, config.bindAddress);

      http = Fastify({ logger: false, bodyLimit: 1024 * 1024 });
      await http.register(fastifyWebsocket, { options: { maxPayload: config.maxStanzaBytes + 1024 } });
      http.get('/xmpp-websocket', { websocket: true }, (socket, req) => {
        // RFC 7395 §3.1: the "xmpp" subprotocol is required.
        if (socket.protocol !== 'xmpp') {
          socket.close(1002, 'the xmpp subprotocol is required');
          return;
        }
        const ip = req.socket.remoteAddress ?? 'unknown';
        const loopback = ip === '127.0.0.1' || ip === '::1' || ip === '::ffff:127.0.0.1';
        accept(new WebSocketTransport(socket, ip, deps.websocketSecure === true || loopback));
      });
      deps.httpRoutes?.(http);
      await deps.ext.http(http, { store: deps.store, log });
      await http.listen({ port: config.httpPort, host: config.bindAddress });
      const addr = http.server.address();
      const httpPort = typeof addr === 'object' && addr ? addr.port : config.httpPort;
      return { c2s, c2sTls, http: httpPort };
    },
    async stop() {
      c2sServer?.close();
      tlsServer?.close();
      // RFC 6120 §4.9.3.19 / §4.9.3.22: send clients elsewhere when an address is configured.
      const closing = [...all];
      for (const conn of closing) {
        if (config.seeOtherHost) conn.streamError('see-other-host', 'this server is shutting down', config.seeOtherHost);
        else conn.streamError('system-shutdown', 'the server is shutting down');
      }
      // Let each connection's cleanup reach the actors before the bus goes away.
      await Promise.all(closing.map((c) => c.teardown()));
      liveness.stop();
      await location.removeEdge(edgeId);
      sub?.unsubscribe();
      revocations?.unsubscribe();
      stopResync?.();
      await http?.close();
    },
    connectionCount: () => all.size,
    unlockAccount: (user) => limits.unlock(user),
  };
}

/** Listen and resolve with the port bound (0 picks a free one); shared with the federation listeners. */
export function listen(server: NetServer | TlsServer, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const a = server.address();
      resolve(typeof a === 'object' && a ? a.port : port);
    });
  });
}
