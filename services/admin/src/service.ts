// buildAdminService: the admin REST API and web console on one port (ARCHITECTURE.md, Processes:
// admin). Embedded mode runs it in the one process; cluster mode as the `admin` role.
import type { Bus } from '@parley/bus';
import type { ParleyConfig } from '@parley/config';
import type { LocationService } from '@parley/location';
import type { Logger } from '@parley/log';
import type { Store } from '@parley/store';
import type { WireMessage } from '@parley/wire';
import Fastify, { type FastifyInstance } from 'fastify';
import { auditLog } from './audit.ts';
import { installAuth } from './auth.ts';
import type { ClusterView } from './cluster-view.ts';
import { mountConsole } from './console.ts';
import type { AdminContext, AdminModule, LoginLocks } from './context.ts';
import { installErrorHandler } from './errors.ts';
import { RouteBook } from './openapi.ts';
import { sessionsRoutes } from './routes/sessions.ts';
import { systemRoutes } from './routes/system.ts';
import { usersRoutes } from './routes/users.ts';
import { fastTokenRoutes } from './routes/fast-tokens.ts';
import { tokenRepo } from './tokens.ts';

export interface AdminDeps {
  config: Pick<ParleyConfig, 'domain' | 'scramIterations' | 'adminPort' | 'adminBindAddress' | 'adminTls' | 'bindAddress'>;
  log: Logger;
  store: Store;
  location: LocationService;
  bus: Bus<WireMessage>;
  cluster: ClusterView;
  /** Certificate and key (PEM) for HTTPS; required when config.adminTls is on. */
  tls: { cert: string | Buffer; key: string | Buffer } | null;
  version: string;
  /** Extra route groups (rooms, federation policy, registration settings as those services arrive). */
  modules?: AdminModule[];
  /** Brute-force lockouts kept by the edges (memory in embedded mode, Redis in cluster mode). */
  loginLocks?: LoginLocks;
  /** The console's static files; default the package's public/ directory. */
  consoleDir?: string;
}

export interface AdminService {
  /** For tests: `app.inject()` without a socket. */
  app: FastifyInstance;
  start(): Promise<{ port: number }>;
  stop(): Promise<void>;
}

const BUILT_IN: AdminModule[] = [usersRoutes, fastTokenRoutes, sessionsRoutes, systemRoutes];

export function buildAdminService(deps: AdminDeps): AdminService {
  const { config, log } = deps;
  if (config.adminTls && !deps.tls) throw new Error('the admin API needs a certificate when PARLEY_ADMIN_TLS is on');
  const app = Fastify({
    logger: false,
    bodyLimit: 64 * 1024,
    ...(config.adminTls && deps.tls ? { https: { cert: deps.tls.cert, key: deps.tls.key, minVersion: 'TLSv1.2' as const } } : {}),
    // Unknown fields are refused with a message, not silently dropped.
    ajv: { customOptions: { removeAdditional: false, allErrors: false } },
  }) as unknown as FastifyInstance;
  const tokens = tokenRepo(deps.store.sql);
  installErrorHandler(app, log);
  installAuth(app, tokens);
  const routes = new RouteBook(app);
  const ctx: AdminContext = {
    config,
    log,
    store: deps.store,
    location: deps.location,
    bus: deps.bus,
    tokens,
    audit: auditLog(deps.store.sql, log),
    cluster: deps.cluster,
    loginLocks: deps.loginLocks,
    routes,
  };
  for (const m of [...BUILT_IN, ...(deps.modules ?? [])]) m(ctx);
  const doc = routes.document(deps.version);
  app.get('/api/openapi.json', { config: { access: { public: true } } }, async () => doc);
  mountConsole(app, deps.consoleDir);

  return {
    app,
    async start() {
      await app.listen({ port: config.adminPort, host: config.adminBindAddress ?? config.bindAddress });
      const addr = app.server.address();
      const port = typeof addr === 'object' && addr ? addr.port : config.adminPort;
      log.info('admin API and console listening', { url: `${config.adminTls ? 'https' : 'http'}://${config.adminBindAddress ?? config.bindAddress}:${port}/` });
      return { port };
    },
    stop: () => app.close(),
  };
}
