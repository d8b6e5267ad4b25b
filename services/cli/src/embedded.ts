// Embedded mode (ARCHITECTURE.md): every service in one process over the in-process bus, the
// in-memory location service and PGlite in the data directory (or Postgres when a URL is set).
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { actorsSettled } from '@parley/actor';
import { buildAdminService, clusterView, addUser } from '@parley/admin';
import { type Bus, LocalBus } from '@parley/bus';
import { buildEdgeService, loadTlsMaterial } from '@parley/edge';
import { MemoryLocation } from '@parley/location';
import { createLogger, type Logger } from '@parley/log';
import { buildChatroomService } from '@parley/chatroom';
import { chatroomDomain, loadConfig, type ParleyConfig } from '@parley/config';
import { buildPresenceService } from '@parley/presence';
import { buildS2SService, type S2SService } from '@parley/s2s';
import { buildSessionService } from '@parley/session';
import { componentRepo, createStore, migrate, openPglite, openPostgres, type Store } from '@parley/store';
import type { WireMessage } from '@parley/wire';
import { Registry } from 'prom-client';
import { collectProcessMetrics } from './process-metrics.ts';
import { type AdminSocket, startAdminSocket } from './admin-socket.ts';
import { mountOpsRoutes } from './ops.ts';
import { acquireDataDirLock, type DataDirLock } from './lock.ts';
import { loadServerModules } from './modules.ts';
import { registerPresenceFanoutMetrics } from './presence-metrics.ts';
import { shareCachedPrivacy } from './privacy-cache.ts';
import { shareCachedArchivePrefs } from './archive-prefs-cache.ts';
import { migrationsDir, serverVersion } from './paths.ts';

export interface EmbeddedOverrides extends Partial<ParleyConfig> {
  /** null = in-memory database (tests); otherwise the data directory from config. */
  dataDir?: string;
  inMemory?: boolean;
  log?: Logger;
}

export interface EmbeddedServer {
  config: ParleyConfig;
  domain: string;
  /** s2s and s2sTls are 0 when federation is off (PARLEY_S2S_POLICY=off), component when components are (PARLEY_COMPONENTS). */
  ports: { c2s: number; c2sTls: number; http: number; admin: number; s2s: number; s2sTls: number; component: number };
  fingerprint: string;
  store: Store;
  addUser(username: string, password: string): Promise<void>;
  /** Lift a brute-force lock (`parley user unlock`). */
  unlockAccount(username: string): Promise<void>;
  pids: number[];
  /** The in-process bus between the services (tests reach actors through it, like the admin socket does). */
  bus: Bus<WireMessage>;
  stop(): Promise<void>;
}

export async function openStore(config: ParleyConfig, opts: { inMemory?: boolean; log?: Logger } = {}): Promise<Store> {
  const sql = config.databaseUrl
    ? await openPostgres(config.databaseUrl, config.databaseSchema ? { schema: config.databaseSchema } : {})
    : await openPglite(opts.inMemory ? null : join(config.dataDir, 'db'), {
        sharedBuffersMb: config.embeddedDbSharedBuffersMb,
        optimizeWasm: config.embeddedDbOptimizeWasm,
        // A throw-away database (tests) starts from a migrated copy; migrate below then checks it.
        ...(opts.inMemory ? { migratedFrom: migrationsDir } : {}),
      });
  const { lookalikes } = await migrate(sql, migrationsDir);
  if (lookalikes.length > 0) opts.log?.warn('accounts older than look-alike detection are confusable with another account (UTS #39)', { accounts: lookalikes });
  return createStore(sql, { archive: { commitDelayMs: config.archiveCommitDelayMs } });
}

export async function startEmbedded(overrides: EmbeddedOverrides = {}, env: NodeJS.ProcessEnv = process.env): Promise<EmbeddedServer> {
  const { log: givenLog, inMemory, ...cfg } = overrides;
  const config = loadConfig(env, cfg);
  const log = givenLog ?? createLogger({ level: config.logLevel });
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  let lock: DataDirLock | null = null;
  if (!inMemory && !config.databaseUrl) lock = acquireDataDirLock(config.dataDir);
  try {
    const store = await openStore(config, { inMemory });
    const registry = new Registry();
    collectProcessMetrics(registry);
    const bus = new LocalBus<WireMessage>((err, subject) => log.error('bus handler failed', { err, subject }));
    const location = new MemoryLocation();
    shareCachedPrivacy(store, bus);
    shareCachedArchivePrefs(store, bus);
    const modules = loadServerModules(config, registry);
    const session = buildSessionService({ domain: config.domain, bus, location, store, log: log.child({ svc: 'session' }), modules });
    const presence = buildPresenceService({ domain: config.domain, bus, location, store, log: log.child({ svc: 'presence' }), modules });
    const chatroom = buildChatroomService({ domain: config.domain, service: chatroomDomain(config), bus, location, store, log: log.child({ svc: 'chatroom' }), modules });
    session.start();
    presence.start();
    registerPresenceFanoutMetrics(registry, presence);
    chatroom.start();
    const tls = await loadTlsMaterial({ certFile: config.tlsCert, keyFile: config.tlsKey, dataDir: config.dataDir, domain: config.domain, log });
    let ready = false;
    const edgeId = `edge-${randomBytes(4).toString('hex')}`;
    const edge = buildEdgeService({
      config,
      log: log.child({ svc: 'edge' }),
      edgeId,
      bus,
      location,
      store,
      tls,
      registry,
      ext: modules.edge,
      websocketSecure: config.websocketSecure,
      httpRoutes: (app) => mountOpsRoutes(app, registry, () => (ready ? null : { reason: 'starting or draining' })),
    });
    const edgePorts = await edge.start();
    // Federation and external components (docs/federation.md): part of embedded mode unless both are off.
    let s2s: S2SService | null = null;
    let s2sPorts = { s2s: 0, s2sTls: 0, component: 0 };
    if (config.s2sPolicy !== 'off' || config.components) {
      s2s = buildS2SService({ config, log: log.child({ svc: 's2s' }), bus, tls, registry, components: componentRepo(store.sql) });
      s2sPorts = await s2s.start();
    }
    const adminService = buildAdminService({
      config,
      log: log.child({ svc: 'admin' }),
      store,
      location,
      bus,
      cluster: clusterView({ domain: config.domain, location, store, self: { id: edgeId, roles: ['edge', 'session', 'presence', 'chatroom', 'admin'] } }),
      tls: config.adminTls ? tls : null,
      version: serverVersion,
      loginLocks: { unlock: (u) => edge.unlockAccount(u) },
    });
    const ports = { ...edgePorts, ...s2sPorts, admin: (await adminService.start()).port };
    let admin: AdminSocket | null = null;
    if (!inMemory) admin = await startAdminSocket({ config, store, log, unlock: (u) => edge.unlockAccount(u), bus });
    ready = true;
    log.info('parley started', {
      domain: config.domain,
      c2s: `${config.bindAddress}:${ports.c2s} (STARTTLS${config.requireTls ? ' required' : ''})`,
      c2sTls: `${config.bindAddress}:${ports.c2sTls} (direct TLS)`,
      components: ports.component ? `${config.componentBindAddress}:${ports.component} (${config.componentTls ? 'direct TLS' : 'loopback peers only'})` : 'off',
      s2s: ports.s2s ? `${config.bindAddress}:${ports.s2s} (STARTTLS required), ${config.bindAddress}:${ports.s2sTls} (direct TLS), policy ${config.s2sPolicy}` : 'off',
      websocket: `ws://${config.bindAddress}:${ports.http}/xmpp-websocket`,
      metrics: `http://${config.bindAddress}:${ports.http}/metrics`,
      admin: `${config.adminTls ? 'https' : 'http'}://${config.adminBindAddress ?? config.bindAddress}:${ports.admin}/`,
      certificate: tls.source,
      fingerprint: `SHA256 ${tls.fingerprint}`,
      dataDir: inMemory ? '(in memory)' : config.dataDir,
      database: config.databaseUrl ? 'postgres' : 'embedded (PGlite)',
    });
    let stopped = false;
    return {
      config,
      domain: config.domain,
      ports,
      fingerprint: tls.fingerprint,
      store,
      bus,
      pids: [process.pid],
      addUser: async (username, password) => {
        await addUser(store, config, username, password);
      },
      unlockAccount: (username) => edge.unlockAccount(username),
      async stop() {
        if (stopped) return;
        stopped = true;
        ready = false;
        await adminService.stop();
        await edge.stop();
        await s2s?.stop();
        await bus.flush();
        // The closed connections' last work (unavailable presence, leaving rooms) runs to its end
        // before the store closes under it.
        if (!(await actorsSettled([session, presence, chatroom]))) log.warn('actors still busy at shutdown; closing anyway');
        session.stop();
        presence.stop();
        chatroom.stop();
        await admin?.close();
        await bus.close();
        await store.close();
        lock?.release();
        log.info('parley stopped');
      },
    };
  } catch (err) {
    lock?.release();
    throw err;
  }
}
