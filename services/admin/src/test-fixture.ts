// An admin service over in-memory parts (PGlite, the in-process bus, the in-memory location
// service), driven with fastify's inject(): the API tests' stage.
import { LocalBus } from '@parley/bus';
import type { ResourceEntry } from '@parley/location';
import { MemoryLocation } from '@parley/location';
import { silentLogger } from '@parley/log';
import { createStore, defaultMigrationsDir, migrate, openPglite, type Sql, type Store } from '@parley/store';
import { edgeSubject } from '@parley/subjects';
import type { EdgeMessage, WireMessage } from '@parley/wire';
import type { LeaseStore } from '@parley/actor';
import { addUser } from './accounts.ts';
import { clusterView } from './cluster-view.ts';
import type { Role } from './roles.ts';
import { buildAdminService, type AdminService } from './service.ts';
import { tokenRepo } from './tokens.ts';

export const DOMAIN = 'admin.test';
const config = { domain: DOMAIN, scramIterations: 4096, adminPort: 0, adminBindAddress: '127.0.0.1', adminTls: false, bindAddress: '127.0.0.1' };

export interface Answer {
  status: number;
  body: Record<string, unknown> & { error?: string; message?: string };
  headers: Record<string, unknown>;
}

export interface Fixture {
  admin: AdminService;
  store: Store;
  location: MemoryLocation;
  bus: LocalBus<WireMessage>;
  /** Kick messages published to edges e1 and e2, in order. */
  kicks: Array<EdgeMessage & { edge: string }>;
  token(role: Role, name?: string): Promise<string>;
  call(method: string, url: string, opts?: { token?: string; body?: unknown; headers?: Record<string, string> }): Promise<Answer>;
  addUser(username: string, password?: string): Promise<string>;
  online(jid: string, conn: string, edge?: string): Promise<ResourceEntry>;
  close(): Promise<void>;
}

export async function adminFixture(opts: { sql?: Sql; leases?: LeaseStore } = {}): Promise<Fixture> {
  const sql = opts.sql ?? (await openPglite(null, { migratedFrom: defaultMigrationsDir }));
  await migrate(sql);
  const store = createStore(sql);
  const location = new MemoryLocation();
  const bus = new LocalBus<WireMessage>((err) => {
    throw err;
  });
  const kicks: Fixture['kicks'] = [];
  for (const edge of ['e1', 'e2']) {
    bus.subscribe(edgeSubject(edge), (m) => {
      if ('kind' in m && m.kind === 'kick') kicks.push({ ...m, edge });
      return undefined;
    });
  }
  const cluster = clusterView({ domain: DOMAIN, location, store, ...(opts.leases ? { leases: opts.leases } : { self: { id: 'e1', roles: ['edge', 'session', 'presence', 'chatroom', 'admin'] } }) });
  const admin = buildAdminService({ config, log: silentLogger, store, location, bus, cluster, tls: null, version: 'test' });
  await admin.app.ready();
  const tokens = tokenRepo(sql);
  return {
    admin,
    store,
    location,
    bus,
    kicks,
    token: async (role, name = `${role} tester`) => (await tokens.create({ name, role, createdBy: 'test' })).token,
    async call(method, url, o = {}) {
      const res = await admin.app.inject({
        method: method as 'GET',
        url,
        headers: { ...(o.token ? { authorization: `Bearer ${o.token}` } : {}), ...o.headers },
        ...(o.body !== undefined ? { payload: o.body as object } : {}),
      });
      let body: Answer['body'] = {};
      try {
        body = res.json();
      } catch {
        body = { text: res.body };
      }
      return { status: res.statusCode, body, headers: res.headers };
    },
    addUser: (username, password = `${username}-secret`) => addUser(store, config, username, password),
    async online(jid, conn, edge = 'e1') {
      const e: ResourceEntry = { jid, conn, edge, priority: 0, available: true };
      await location.heartbeat(edge, 60_000);
      const r = await location.register(e);
      if (!r.ok) throw new Error(`${jid} is already online`);
      return e;
    },
    async close() {
      await admin.stop();
      await bus.close();
      await store.close();
    },
  };
}
