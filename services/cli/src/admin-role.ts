// The `admin` role in cluster mode: the admin API and console over the cluster's bus, location
// service and database, with shard leases read from Redis for the cluster view.
import { RedisLeaseStore } from '@parley/actor';
import { announceAdmin, buildAdminService, clusterView } from '@parley/admin';
import type { Bus } from '@parley/bus';
import type { ParleyConfig } from '@parley/config';
import { loadTlsMaterial, unlockAccount } from '@parley/edge';
import { RedisFailureLedger } from '@parley/ratelimit';
import { limitPrefix } from './limit-prefix.ts';
import type { LocationService } from '@parley/location';
import type { Logger } from '@parley/log';
import type { Store } from '@parley/store';
import type { WireMessage } from '@parley/wire';
import type { RedisTopology } from './redis-topology.ts';
import { serverVersion } from './paths.ts';

export interface AdminRoleDeps {
  config: ParleyConfig;
  log: Logger;
  bus: Bus<WireMessage>;
  location: LocationService;
  store: Store;
  instanceId: string;
  redis: RedisTopology;
  onRedisError: (err: unknown) => void;
}

/** Starts the admin API; returns its port and the steps that stop it, in order. */
export async function startAdminRole(d: AdminRoleDeps): Promise<{ port: number; stop: () => Promise<void> }> {
  const { config, log } = d;
  const leases = await RedisLeaseStore.connect(config.redisUrl!, { prefix: `${config.clusterName}:`, ...d.redis });
  const ledger = await RedisFailureLedger.connect(config.redisUrl!, { prefix: limitPrefix(config), ...d.redis });
  const tls = config.adminTls ? await loadTlsMaterial({ certFile: config.tlsCert, keyFile: config.tlsKey, dataDir: config.dataDir, domain: config.domain, log }) : null;
  const admin = buildAdminService({
    config,
    log: log.child({ svc: 'admin' }),
    store: d.store,
    location: d.location,
    bus: d.bus,
    cluster: clusterView({ domain: config.domain, location: d.location, store: d.store, leases }),
    tls,
    version: serverVersion,
    loginLocks: { unlock: (u) => unlockAccount(ledger, u) },
  });
  const { port } = await admin.start();
  const leave = announceAdmin(leases, d.instanceId, config.leaseTtlMs, d.onRedisError);
  return {
    port,
    stop: async () => {
      await admin.stop();
      await leave();
      await leases.close();
      await ledger.close();
    },
  };
}
