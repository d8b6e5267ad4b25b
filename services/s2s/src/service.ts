// buildS2SService: federation (ARCHITECTURE.md, Processes: s2s). Listeners for streams other
// servers open (5269 STARTTLS required, 5270 direct TLS), outbound streams per remote domain, and
// the two bus ends: stanzas for remote domains handed to us like to an actor (key: the domain), and
// deliveries to remote JIDs from the actors (edge id s2sEdge(domain), connection id: the domain).
// In a cluster, s2s processes own federation shards (of the remote domain) through leases, as actor
// processes own theirs: one process holds the stream to a domain and sees all of its traffic.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer as createNetServer, type Server as NetServer } from 'node:net';
import { createSecureContext, createServer as createTlsServer, rootCertificates, type Server as TlsServer } from 'node:tls';
import { type RetryOptions, requestWithRetry, type ShardManager } from '@parley/actor';
import type { Bus, Subscription } from '@parley/bus';
import { chatroomDomain, type ParleyConfig } from '@parley/config';
import { listen, SocketTransport, type TlsMaterial } from '@parley/edge';
import { bareOf, tryParseJid } from '@parley/jid';
import type { Logger } from '@parley/log';
import { mayReplyWithError, NS, type StanzaErrorCondition, stanzaErrorReply } from '@parley/stanza';
import { actorShardSubject, actorSubject, allShards, edgeSubject, s2sEdge, s2sEdgeOfShard, s2sShardOf } from '@parley/subjects';
import type { ComponentRepo } from '@parley/store';
import { type ActorReply, type ActorRequest, stanzasOf, type WireMessage } from '@parley/wire';
import { type Element, parseFragment } from '@parley/xml';
import type { Registry } from 'prom-client';
import { componentListener } from './component/listener.ts';
import { dialbackKeys } from './dialback.ts';
import { ComponentRouter } from './component/router.ts';
import { InboundStream } from './inbound.ts';
import { OutboundLinks } from './links.ts';
import { createS2SMetrics } from './metrics.ts';
import { type Resolver, resolver } from './resolve.ts';
import { serverKeys } from './server-secret.ts';
import { s2sSettings } from './settings.ts';
import type { StreamLimits } from './stream.ts';
import { verifyPeer } from './verify.ts';

export interface S2SDeps {
  config: ParleyConfig;
  log: Logger;
  bus: Bus<WireMessage>;
  tls: TlsMaterial;
  registry: Registry;
  /** Hand-off retry budget for stanzas into the actors; in a cluster it must outlast a shard lease. */
  handoffRetry?: RetryOptions;
  /** Tests replace DNS; default: static hosts, then SRV. */
  resolve?: Resolver;
  /** Registered external components (XEP-0114); without it (or with PARLEY_COMPONENTS off) none are served. */
  components?: ComponentRepo;
  /**
   * Cluster mode: the federation shards this process holds (leases of service `s2s`); it serves
   * only those. Without it (embedded mode) every shard is served.
   */
  shards?: ShardManager;
}

export interface S2SService {
  /** Ports are 0 for what is off: federation (PARLEY_S2S_POLICY=off), components (PARLEY_COMPONENTS=false). */
  start(): Promise<{ s2s: number; s2sTls: number; component: number }>;
  stop(): Promise<void>;
}

export function buildS2SService(deps: S2SDeps): S2SService {
  const { config, log, bus } = deps;
  const domain = config.domain;
  const rooms = chatroomDomain(config);
  const settings = s2sSettings(config);
  const federation = config.s2sPolicy !== 'off';
  const metrics = createS2SMetrics(deps.registry);
  // RFC 6120 §13.7.2: trust anchors are the system store plus the operator's CA file.
  const ca = [...rootCertificates, ...(config.s2sCaFile ? [readFileSync(config.s2sCaFile, 'utf8')] : [])];
  const contextOptions = { cert: deps.tls.cert, key: deps.tls.key, ca, minVersion: 'TLSv1.2' as const };
  const secureContext = createSecureContext(contextOptions);
  const limits: StreamLimits = {
    maxStanzaBytes: config.maxStanzaBytes,
    bytesPerSec: config.rateBytesPerSec,
    burstBytes: config.rateBurstBytes,
    negotiationMs: config.negotiationTimeoutSec * 1000,
    idleMs: config.idleTimeoutSec * 1000,
  };
  const inbound = new Set<InboundStream>();
  /** Bus subscriptions per federation shard served. */
  const subs = new Map<number, Subscription[]>();
  let stopFollowing: Array<() => void> = [];
  let plain: NetServer | null = null;
  let direct: TlsServer | null = null;

  /** A stanza from a remote server (or our own bounce) to a local address: into the same actors as local traffic. */
  function toLocal(stanza: Element): void {
    const from = stanza.attr('from')!;
    const to = tryParseJid(stanza.attr('to') ?? '');
    if (!to) return;
    const fromDomain = tryParseJid(from)?.domain ?? '';
    // Answers go to the s2s process of the sender's domain, the one holding the stream back to it.
    const origin = { edge: s2sEdge(fromDomain), conn: fromDomain, jid: from };
    const id = `s2s:${randomUUID()}`;
    let req: { service: 'session' | 'presence'; msg: ActorRequest };
    if (to.domain === rooms) {
      // The chatroom service is not federated yet: say so rather than drop.
      answer(stanza, 'service-unavailable', 'chatrooms on this server do not take part in federation yet');
      return;
    }
    if (stanza.name === 'presence') {
      if (to.local === null) return;
      // RFC 6121 §3-4 inbound processing happens in the addressee's presence actor.
      req = { service: 'presence', msg: { kind: 'presence-in', key: to.bareString(), stanza } };
    } else {
      // Server-addressed IQs are answered by the session actor keyed by the sender (as for local clients).
      const key = to.local === null ? bareOf(from) : to.bareString();
      req = { service: 'session', msg: { kind: 'stanza', key, stanza, origin, id } };
    }
    requestWithRetry(bus, actorSubject(req.service, req.msg.key), req.msg, deps.handoffRetry ?? {}).then(
      (reply) => {
        const r = reply as ActorReply;
        if (!r.ok) answer(stanza, r.condition === 'resource-constraint' ? 'resource-constraint' : 'internal-server-error');
      },
      (err: Error) => {
        log.warn('hand-off of a remote stanza failed', { err: err.message });
        answer(stanza, 'resource-constraint', 'the server is busy, try again');
      },
    );
  }

  /** An error answer to a stanza from elsewhere (remote or bounced), sent back where it came from. */
  function answer(stanza: Element, condition: StanzaErrorCondition, text?: string): void {
    if (!mayReplyWithError(stanza)) return;
    route(stanzaErrorReply(stanza, condition, { text }));
  }

  /** Any stanza by its `to`: remote domains over their link, ours into the actors. */
  function route(stanza: Element): void {
    const to = tryParseJid(stanza.attr('to') ?? '');
    if (!to) return;
    if (to.domain === domain || to.domain === rooms) toLocal(stanza);
    else if (!toRemote(to.domain, stanza)) answer(stanza, 'resource-constraint', 'too many stanzas waiting for that server');
  }

  /** Onto the link to `remote` (or to the component serving it); a refused domain is answered at once and never contacted. False: its queue is full. */
  function toRemote(remote: string, stanza: Element): boolean {
    const component = router?.serves(remote) ?? false;
    if (component === true) {
      router!.deliver(remote, stanza);
      return true;
    }
    if (component !== false) {
      component.then((yes) => {
        if (yes) router!.deliver(remote, stanza);
        else if (!toServer(remote, stanza)) answer(stanza, 'resource-constraint', 'too many stanzas waiting for that server');
      });
      return true;
    }
    return toServer(remote, stanza);
  }

  /** Onto the link to remote server `remote`. False: its queue is full. */
  function toServer(remote: string, stanza: Element): boolean {
    if (!federation) {
      // RFC 6120 §8.3.3.19: this server does not federate.
      bounce(stanza, 'remote-server-not-found', 'federation is not enabled on this server');
      return true;
    }
    if (settings.rules.get(remote)?.kind === 'refuse') {
      metrics.authFailures.inc({ direction: 'out', reason: 'refused-by-policy' });
      bounce(stanza, 'remote-server-not-found', `federation with ${remote} is refused by policy`);
      return true;
    }
    if (deps.shards && !deps.shards.owns(s2sShardOf(remote))) {
      // Another process holds the stream to `remote` (answers and bounces are made where a stanza
      // came in): hand it over rather than open a second stream (RFC 6120 §4.2.2, order per §10.1).
      const msg: ActorRequest = { kind: 'stanza', key: remote, stanza };
      requestWithRetry(bus, actorSubject('s2s', remote), msg, deps.handoffRetry ?? {}).then(
        (reply) => {
          if (!(reply as ActorReply).ok) answer(stanza, 'resource-constraint', 'too many stanzas waiting for that server');
        },
        (err: Error) => {
          log.warn('hand-off to the s2s process of a domain failed', { err: err.message, domain: remote });
          answer(stanza, 'remote-server-timeout', 'no federation process took the stanza');
        },
      );
      return true;
    }
    return links.send(remote, stanza);
  }

  function bounce(stanza: Element, condition: StanzaErrorCondition, text: string): void {
    if (!mayReplyWithError(stanza)) return;
    // The error comes from the remote domain's address, to the local sender (RFC 6120 §8.3.1).
    const from = tryParseJid(stanza.attr('to') ?? '')?.domain;
    metrics.bounced.inc({ condition });
    // Back to the sender wherever it is: a local account, or a component or a remote server (errors are never answered, §8.3.1).
    route(stanzaErrorReply(stanza, condition, { text, from }));
  }

  const keys = (deps.components && config.components) || config.s2sPolicy === 'allow-dialback-over-tls' ? serverKeys(config) : null;
  // XEP-0220 only under allow-dialback-over-tls; its keys (XEP-0185) come from the server secret, the same on every process.
  const dialback = config.s2sPolicy === 'allow-dialback-over-tls' && keys ? dialbackKeys(keys.dialback) : null;
  const router = deps.components && config.components && keys ? new ComponentRouter({ bus, repo: deps.components, log: log.child({ svc: 'components' }), metrics, bounce }) : null;
  const components =
    router && deps.components && keys
      ? componentListener({
          config,
          log: log.child({ svc: 'components' }),
          limits,
          contextOptions,
          secureContext,
          router,
          metrics,
          secretFor: async (d) => {
            const sealed = await deps.components!.sealed(d);
            if (sealed === null) return null;
            const secret = keys.open(d, sealed);
            if (secret === null) log.error('a component secret does not open with this server secret (was PARLEY_SERVER_SECRET changed?)', { domain: d });
            return secret;
          },
          route,
        })
      : null;

  const links = new OutboundLinks({
    localDomain: domain,
    secureContext,
    resolve: deps.resolve ?? resolver(settings.staticHosts),
    limits,
    log: log.child({ direction: 'out' }),
    metrics,
    verify: (s) => verifyPeer(s.transport.peerCertificate(), s.remoteDomain, settings.rules.get(s.remoteDomain)),
    dialback,
    bounce: (stanza, condition, text) => bounce(stanza, condition, text),
  });

  const authenticatedPeer = new WeakMap<InboundStream, string>();

  function accept(transport: SocketTransport): void {
    const stream = new InboundStream(transport, domain, limits, log.child({ direction: 'in', remote: transport.remoteAddress }), {
      serves: (d) => d === domain,
      verify: (s, peer) => verifyPeer(s.transport.peerCertificate(), peer, settings.rules.get(peer)),
      stanza: (el) => {
        metrics.stanzas.inc({ direction: 'in' });
        toLocal(el);
      },
      authenticated: (s, peer) => {
        authenticatedPeer.set(s, peer);
        metrics.connections.inc({ direction: 'in', domain: peer });
      },
      refused: (reason) => metrics.authFailures.inc({ direction: 'in', reason }),
      dialback,
      verifyDialback: (peer, streamId, key) => links.verifyDialback(peer, streamId, key),
      ended: (s) => {
        inbound.delete(s);
        const peer = authenticatedPeer.get(s);
        if (peer) metrics.connections.dec({ direction: 'in', domain: peer });
      },
    });
    inbound.add(stream);
  }

  /** The bus end for the actors and the edges: a stanza to a remote address, by domain key. */
  function onRequest(msg: WireMessage): ActorReply {
    if (!('kind' in msg) || (msg.kind !== 'stanza' && msg.kind !== 'presence-in')) return { ok: false, condition: 'bad-request' };
    const stanza = msg.stanza;
    if (stanza.getNS() !== NS.client) stanza.setAttr('xmlns', NS.client);
    const to = tryParseJid(stanza.attr('to') ?? '');
    if (!to || to.domain === domain) return { ok: false, condition: 'item-not-found' };
    return toRemote(to.domain, stanza) ? { ok: true } : { ok: false, condition: 'resource-constraint' };
  }

  /** Deliveries from actors to remote JIDs (presence broadcasts, answers to remote senders). */
  function onDelivery(msg: WireMessage): undefined {
    if (!('kind' in msg) || msg.kind !== 'deliver') return;
    for (const t of msg.targets) {
      for (const xml of stanzasOf(msg)) {
        let el: Element;
        try {
          el = parseFragment(xml);
        } catch {
          continue;
        }
        if (t.to) el.setAttr('to', t.to);
        const to = tryParseJid(el.attr('to') ?? '');
        // The connection id of a remote delivery is the domain it is for.
        if (!to || to.domain !== t.conn || to.domain === domain || to.domain === rooms) continue;
        toRemote(to.domain, el);
      }
    }
    return;
  }

  function serveShard(shard: number): void {
    if (subs.has(shard)) return;
    subs.set(shard, [
      bus.subscribe(actorShardSubject('s2s', shard), onRequest, { queue: 's2s' }),
      bus.subscribe(edgeSubject(s2sEdgeOfShard(shard)), onDelivery, { queue: 's2s' }),
    ]);
  }

  function unsubscribeShard(shard: number): void {
    for (const s of subs.get(shard) ?? []) s.unsubscribe();
    subs.delete(shard);
  }

  /**
   * Another process owns `shard` now: stop taking its stanzas and close our streams to its domains
   * once what was written to them is sent, so that the new owner's stream is the only one (RFC 6120
   * §4.2.2: one stream per domain pair) and a domain's stanzas do not travel two ways at once (§10.1).
   */
  function releaseShard(shard: number): void {
    unsubscribeShard(shard);
    links.release((remote) => s2sShardOf(remote) === shard);
  }

  return {
    async start() {
      let component = 0;
      if (router && components) {
        await router.start();
        component = await components.start();
      }
      if (deps.shards) {
        // Subscribe when a lease is acquired, let go when it is lost; the queue group covers the moment
        // of a hand-over in which both are subscribed (each stanza still goes to one of them).
        const manager = deps.shards;
        stopFollowing = [manager.onAcquire((shard) => serveShard(shard)), manager.onLose((shard) => releaseShard(shard))];
        for (const shard of manager.owned().keys()) serveShard(shard);
      } else {
        for (const shard of allShards()) serveShard(shard);
      }
      if (!federation) return { s2s: 0, s2sTls: 0, component };
      plain = createNetServer((sock) => accept(new SocketTransport(sock, secureContext, { side: 'server', requestCert: true })));
      direct = createTlsServer(
        // The context's own options, not `secureContext`: tls.createServer ignores that option and would serve no certificate.
        { ...contextOptions, requestCert: true, rejectUnauthorized: false, ALPNProtocols: ['xmpp-server'], handshakeTimeout: limits.negotiationMs },
        (sock) => accept(new SocketTransport(sock, secureContext, { side: 'server', requestCert: true })),
      );
      direct.on('tlsClientError', (err, sock) => {
        metrics.authFailures.inc({ direction: 'in', reason: 'tls' });
        log.debug('s2s tls client error', { err: err.message });
        // Node only reports a failed or timed-out handshake; the socket stays open until destroyed.
        sock.destroy();
      });
      const s2s = await listen(plain, config.s2sPort, config.bindAddress);
      const s2sTls = await listen(direct, config.s2sTlsPort, config.bindAddress);
      return { s2s, s2sTls, component };
    },
    async stop() {
      for (const f of stopFollowing) f();
      for (const shard of [...subs.keys()]) unsubscribeShard(shard);
      components?.stop();
      router?.stop();
      plain?.close();
      direct?.close();
      links.stop();
      for (const s of [...inbound]) s.streamError('system-shutdown', 'the server is shutting down');
    },
  };
}

