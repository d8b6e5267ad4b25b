// Cluster mode (ARCHITECTURE.md, Processes): each role is its own process (or several in one with
// --role all), over NATS, Redis and Postgres. The services are the same as in embedded mode; only
// the bus, location service, store and shard ownership differ.
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { actorsSettled, announceResourceGone, clusterRetry, RedisLeaseStore, ShardManager } from '@parley/actor';
import { type Bus, connectNatsBus } from '@parley/bus';
import { controlSubject } from '@parley/subjects';
import { chatroomDomain, type ParleyConfig } from '@parley/config';
import { buildChatroomService } from '@parley/chatroom';
import { buildEdgeService, type EdgeService, loadTlsMaterial } from '@parley/edge';
import { RedisLocation } from '@parley/location';
import { RedisFailureLedger, RedisRateLimiter } from '@parley/ratelimit';
import type { Logger } from '@parley/log';
import { buildPresenceService } from '@parley/presence';
import { buildSessionService } from '@parley/session';
import { componentRepo, createStore, migrate, openPostgres, type Sql, type Store } from '@parley/store';
import { decodeWire, encodeWire, type WireMessage } from '@parley/wire';
import { Counter, Gauge, Registry } from 'prom-client';
import { collectProcessMetrics } from './process-metrics.ts';
import { buildS2SService } from '@parley/s2s';
import { startAdminRole } from './admin-role.ts';
import { watchDependencies } from './health.ts';
import { insecureInternalLink } from './internal-links.ts';
import { startOpsServer } from './ops.ts';
import { loadServerModules } from './modules.ts';
import { shareCachedPrivacy } from './privacy-cache.ts';
import { shareCachedArchivePrefs } from './archive-prefs-cache.ts';
import { limitPrefix } from './limit-prefix.ts';
import { migrationsDir } from './paths.ts';
import { registerPresenceFanoutMetrics } from './presence-metrics.ts';
import { redisTopology } from './redis-topology.ts';

const CLUSTER_ROLES = ['edge', 'session', 'presence', 'chatroom', 'admin', 's2s'] as const;
export type ClusterRole = (typeof CLUSTER_ROLES)[number];
/**
 * `--role all`: the XMPP roles. The admin API is started on its own (one or two per cluster, not per node), and so
 * is federation (`--role s2s`: the processes that hold port 5269, docs/federation.md).
 */
const ALL_ROLES: ClusterRole[] = ['edge', 'session', 'presence', 'chatroom'];

export class ClusterConfigError extends Error {}

export function parseRoles(arg: string): ClusterRole[] {
  if (arg === 'all') return [...ALL_ROLES];
  const roles = arg.split(',').map((r) => r.trim());
  for (const r of roles) {
    if (!(CLUSTER_ROLES as readonly string[]).includes(r)) throw new ClusterConfigError(`--role ${r}: use edge, session, presence, chatroom, admin, s2s or all`);
  }
  return roles as ClusterRole[];
}

/** The same Sql with every failed statement counted (the parley_backend_errors_total metric). */
function countErrors(sql: Sql, onError: () => void): Sql {
  const fail = (err: unknown): never => {
    onError();
    throw err;
  };
  return {
    query: <T>(text: string, params?: unknown[]) => sql.query<T>(text, params).catch(fail),
    exec: (text) => sql.exec(text).catch(fail),
    transaction: <R>(fn: (tx: Sql) => Promise<R>) => sql.transaction((tx) => fn(countErrors(tx, onError))).catch(fail),
    close: () => sql.close(),
  };
}

export interface ClusterProcess {
  roles: ClusterRole[];
  instanceId: string;
  opsPort: number;
  ports?: { c2s: number; c2sTls: number; http: number };
  adminPort?: number;
  /** Graceful drain: edges close streams and drop their locations; actors hand their shards over. */
  stop(): Promise<void>;
}

export async function startClusterProcess(config: ParleyConfig, roles: ClusterRole[], log: Logger): Promise<ClusterProcess> {
  if (!config.natsUrl || !config.redisUrl || !config.databaseUrl) {
    throw new ClusterConfigError('cluster roles need PARLEY_NATS_URL, PARLEY_REDIS_URL and PARLEY_DATABASE_URL');
  }
  if (config.requireInternalTls) {
    const problem = insecureInternalLink(config);
    if (problem) throw new ClusterConfigError(`PARLEY_REQUIRE_INTERNAL_TLS is on and ${problem}`);
  }
  const instanceId = config.edgeId ?? `${hostname().replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 40)}-${process.pid}`;
  const registry = new Registry();
  registry.setDefaultLabels({ role: roles.join('+'), instance: instanceId });
  collectProcessMetrics(registry);
  const errors = new Counter({ name: 'parley_backend_errors_total', help: 'Errors talking to NATS, Redis or Postgres, and failed bus handlers', labelNames: ['backend'], registers: [registry] });
  const ops = await startOpsServer(registry, config.opsPort, config.bindAddress);
  const stops: Array<() => Promise<void>> = [async () => ops.close()];
  const stopAll = async () => {
    for (const s of stops.reverse()) await s().catch((err) => log.warn('stop step failed', { err: (err as Error).message }));
  };
  try {
    const ca = (f: string | null) => (f ? readFileSync(f, 'utf8') : undefined);
    const bus: Bus<WireMessage> = await connectNatsBus<WireMessage>({
      url: config.natsUrl,
      codec: { encode: encodeWire, decode: decodeWire },
      name: `parley-${instanceId}`,
      subjectPrefix: config.clusterName,
      tls: config.natsCaFile || config.natsCertFile ? { caFile: config.natsCaFile ?? undefined, certFile: config.natsCertFile ?? undefined, keyFile: config.natsKeyFile ?? undefined } : undefined,
      onHandlerError: (err, subject) => {
        errors.inc({ backend: 'handler' });
        log.error('bus handler failed', { err, subject });
      },
      onConnectionChange: (up, server) => (up ? log.warn('bus connection back', { server }) : log.warn('bus connection lost', { server })),
    });
    stops.push(() => bus.close());
    // What this process published while disconnected may be lost: edges look for it (decision 0022).
    bus.onReconnect(() => bus.publish(controlSubject('bus'), { kind: 'bus-reconnected', instance: instanceId }));
    // Commands fail within a few reconnect attempts instead of queueing for half a minute, and a
    // returning Redis is reconnected within half a second: heartbeats notice it and repair at once.
    const redisTls = redisTopology(config, {
      maxRetriesPerRequest: 2,
      retryStrategy: (times: number) => Math.min(times * 100, 500),
      ...(config.redisCaFile ? { tls: { ca: ca(config.redisCaFile) } } : {}),
    });
    // The hash tag keeps the location data set in one Redis Cluster slot (decision 0026).
    const location = await RedisLocation.connect(config.redisUrl, { prefix: `${config.clusterName}:{loc}:`, edgeTtlMs: config.edgeTtlSec * 1000, ...redisTls });
    stops.push(() => location.close());
    const sql = await openPostgres(config.databaseUrl, {
      ...(config.databaseCaFile ? { ssl: { ca: ca(config.databaseCaFile) } } : {}),
      ...(config.databaseSchema ? { schema: config.databaseSchema } : {}),
    });
    const { lookalikes } = await migrate(sql, migrationsDir);
    if (lookalikes.length > 0) log.warn('accounts older than look-alike detection are confusable with another account (UTS #39)', { accounts: lookalikes });
    const store: Store = createStore(countErrors(sql, () => errors.inc({ backend: 'postgres' })));
    stops.push(() => store.close());
    const unshare = shareCachedPrivacy(store, bus);
    stops.push(async () => unshare());
    const unshareArchive = shareCachedArchivePrefs(store, bus);
    stops.push(async () => unshareArchive());

    const modules = loadServerModules(config, registry);
    const actorRole = async (service: 'session' | 'presence' | 'chatroom') => {
      const leases = await RedisLeaseStore.connect(config.redisUrl!, { prefix: `${config.clusterName}:`, ...redisTls });
      const manager = new ShardManager({
        service,
        instanceId,
        store: leases,
        ttlMs: config.leaseTtlMs,
        onError: (err) => {
          errors.inc({ backend: 'redis' });
          log.warn('shard lease error', { err: (err as Error).message, service });
        },
      });
      const deps = { domain: config.domain, bus, location, store, log: log.child({ svc: service }), modules };
      const presence = service === 'presence' ? buildPresenceService(deps) : null;
      const svc = service === 'session' ? buildSessionService(deps) : (presence ?? buildChatroomService({ ...deps, service: chatroomDomain(config) }));
      if (presence) registerPresenceFanoutMetrics(registry, presence);
      new Gauge({ name: `parley_${service}_mailbox_depth`, help: `Messages queued or running in ${service} actors`, registers: [registry], collect() { this.set(svc.mailboxDepth()); } });
      new Gauge({ name: `parley_${service}_shards_owned`, help: `Shards of ${service} this instance owns`, registers: [registry], collect() { this.set(manager.owned().size); } });
      svc.start(manager);
      await manager.start();
      stops.push(async () => {
        // Hand shards over first (others take them at once), then stop serving.
        await manager.stop();
        svc.stop();
        // Work already running here finishes (fenced) before the store and bus close under it.
        if (!(await actorsSettled([svc], 5000))) log.warn('actors still busy at shutdown; closing anyway', { service });
        await leases.close();
      });
    };
    if (roles.includes('session')) await actorRole('session');
    if (roles.includes('chatroom')) await actorRole('chatroom');
    if (roles.includes('presence')) {
      await actorRole('presence');
      // A dead edge's sessions go within the edge TTL, and their contacts see them leave.
      const reaper = setInterval(() => {
        location
          .reapDeadEdges()
          .then((gone) => {
            // Contacts see them leave; deliveries their XEP-0198 clients never acknowledged are routed again.
            for (const r of gone) void announceResourceGone(bus, r, () => errors.inc({ backend: 'nats' }));
            if (gone.length) log.info('removed sessions of dead edges', { count: gone.length });
          })
          .catch((err) => {
            errors.inc({ backend: 'redis' });
            log.warn('edge reaper failed', { err: (err as Error).message });
          });
      }, (config.edgeTtlSec * 1000) / 2);
      reaper.unref();
      stops.push(async () => clearInterval(reaper));
    }
    let ports: ClusterProcess['ports'];
    if (roles.includes('edge')) {
      const tls = await loadTlsMaterial({ certFile: config.tlsCert, keyFile: config.tlsKey, dataDir: config.dataDir, domain: config.domain, log });
      // Account stanza limits and login failures count across every edge (docs/security.md).
      const limiter = await RedisRateLimiter.connect(config.redisUrl, { prefix: limitPrefix(config), ...redisTls });
      stops.push(() => limiter.close());
      const ledger = await RedisFailureLedger.connect(config.redisUrl, { prefix: limitPrefix(config), ...redisTls });
      stops.push(() => ledger.close());
      const edge: EdgeService = buildEdgeService({
        config,
        log: log.child({ svc: 'edge' }),
        edgeId: instanceId,
        bus,
        location,
        store,
        tls,
        registry,
        ext: modules.edge,
        edgeTtlMs: config.edgeTtlSec * 1000,
        handoffRetry: clusterRetry(config.leaseTtlMs),
        websocketSecure: config.websocketSecure,
        sharedLimits: { limiter, ledger },
      });
      ports = await edge.start();
      stops.push(() => edge.stop());
      log.info('edge listening', { c2s: ports.c2s, c2sTls: ports.c2sTls, http: ports.http, fingerprint: `SHA256 ${tls.fingerprint}` });
    }
    // External components (XEP-0114) connect to the s2s role too: it holds the listeners other software opens streams to.
    if (roles.includes('s2s') && (config.s2sPolicy !== 'off' || config.components)) {
      const tls = await loadTlsMaterial({ certFile: config.tlsCert, keyFile: config.tlsKey, dataDir: config.dataDir, domain: config.domain, log });
      // Federation shards (of the remote domain) are leased like actor shards: with several s2s
      // processes, one holds the stream to each domain and carries all of its stanzas, in order.
      const leases = await RedisLeaseStore.connect(config.redisUrl, { prefix: `${config.clusterName}:`, ...redisTls });
      const shards = new ShardManager({
        service: 's2s',
        instanceId,
        store: leases,
        ttlMs: config.leaseTtlMs,
        onError: (err) => {
          errors.inc({ backend: 'redis' });
          log.warn('shard lease error', { err: (err as Error).message, service: 's2s' });
        },
      });
      new Gauge({ name: 'parley_s2s_shards_owned', help: 'Federation shards (remote domains) this instance serves', registers: [registry], collect() { this.set(shards.owned().size); } });
      const s2s = buildS2SService({ config, log: log.child({ svc: 's2s' }), bus, tls, registry, handoffRetry: clusterRetry(config.leaseTtlMs), components: componentRepo(sql), shards });
      if (!config.serverSecret) {
        // Decision 0025: component secrets and dialback keys must be the same on every process and for the CLI.
        log.warn('PARLEY_SERVER_SECRET is not set: component secrets and dialback keys use this process\'s data directory; set the same PARLEY_SERVER_SECRET on every process and for the parley command');
      }
      const s2sPorts = await s2s.start();
      stops.push(async () => {
        await s2s.stop();
        await leases.close();
      });
      await shards.start();
      // Runs first on stop: the shards go to the other s2s processes before this one stops serving.
      stops.push(() => shards.stop());
      log.info('s2s listening', { ...s2sPorts, policy: config.s2sPolicy });
    }
    let adminPort: number | undefined;
    if (roles.includes('admin')) {
      const admin = await startAdminRole({ config, log, bus, location, store, instanceId, redis: redisTls, onRedisError: () => errors.inc({ backend: 'redis' }) });
      adminPort = admin.port;
      stops.push(admin.stop);
    }
    // NATS, Redis and Postgres are needed by every role: not ready while one is gone past the grace.
    ops.watch(
      watchDependencies(
        [
          { name: 'bus', probe: () => bus.flush() },
          { name: 'location', probe: () => location.count() },
          { name: 'store', probe: () => sql.query('SELECT 1') },
        ],
        { registry, log, graceMs: config.readinessGraceMs },
      ),
    );
    ops.setReady(true);
    log.info('parley cluster process started', { roles: roles.join(','), instance: instanceId, ops: ops.port, domain: config.domain, ...(adminPort !== undefined ? { admin: adminPort } : {}) });
    return {
      roles,
      instanceId,
      opsPort: ops.port,
      ports,
      adminPort,
      stop: async () => {
        ops.setReady(false);
        await stopAll();
        log.info('parley cluster process stopped', { instance: instanceId });
      },
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
