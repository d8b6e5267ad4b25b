// What the admin can know about the running system: processes and their roles (shard-lease
// memberships and edge heartbeats), shards owned per process and actor service (session, presence, chatroom), edges and their connection counts
// (location entries). Embedded mode is one process that owns every shard.
import type { LeaseStore } from '@parley/actor';
import type { LocationService } from '@parley/location';
import type { Store } from '@parley/store';
import { SHARD_COUNT } from '@parley/subjects';

export const ACTOR_SERVICES = ['session', 'presence', 'chatroom'] as const;

export interface ProcessView {
  id: string;
  roles: string[];
  /** Shards owned per actor service. */
  shards: Record<string, number>;
  /** Client connections, for an edge. */
  connections?: number;
}

export interface ClusterSnapshot {
  mode: 'embedded' | 'cluster';
  domain: string;
  at: string;
  accounts: number;
  online: number;
  shardCount: number;
  /** Shards with no live owner per actor service (non-zero only while rebalancing or after a crash). */
  unownedShards: Record<string, number>;
  processes: ProcessView[];
  edges: Array<{ id: string; connections: number; live: boolean }>;
}

export interface ClusterView {
  snapshot(): Promise<ClusterSnapshot>;
}

export interface ClusterViewOptions {
  domain: string;
  location: LocationService;
  store: Pick<Store, 'users'>;
  /** Cluster mode: shard leases and memberships (Redis). Absent in embedded mode. */
  leases?: LeaseStore;
  /** Embedded mode: this process and what it runs. */
  self?: { id: string; roles: string[] };
}

export function clusterView(o: ClusterViewOptions): ClusterView {
  return {
    async snapshot() {
      const [accounts, online, live, perEdge] = await Promise.all([o.store.users.count(o.domain), o.location.count(), o.location.liveEdges(), o.location.connectionsPerEdge()]);
      const processes = new Map<string, ProcessView>();
      const proc = (id: string) => {
        const known = processes.get(id);
        if (known) return known;
        const p: ProcessView = { id, roles: [], shards: {} };
        processes.set(id, p);
        return p;
      };
      const unownedShards: Record<string, number> = {};
      if (o.leases) {
        for (const service of ACTOR_SERVICES) {
          for (const m of await o.leases.members(service)) proc(m).roles.push(service);
          const owners = await o.leases.owners(service);
          unownedShards[service] = SHARD_COUNT - owners.size;
          for (const { instance } of owners.values()) {
            const p = proc(instance);
            p.shards[service] = (p.shards[service] ?? 0) + 1;
          }
        }
        for (const m of await o.leases.members('admin')) proc(m).roles.push('admin');
      } else if (o.self) {
        const p = proc(o.self.id);
        p.roles.push(...o.self.roles);
        for (const service of ACTOR_SERVICES) {
          const runs = o.self.roles.includes(service);
          if (runs) p.shards[service] = SHARD_COUNT;
          unownedShards[service] = runs ? 0 : SHARD_COUNT;
        }
      }
      const edgeIds = [...new Set([...live, ...perEdge.keys()])].sort();
      const edges = edgeIds.map((id) => ({ id, connections: perEdge.get(id) ?? 0, live: live.includes(id) }));
      for (const e of edges) {
        // Embedded mode: the edge is part of this one process; in a cluster the edge id is the instance id.
        const p = o.self && !o.leases ? proc(o.self.id) : proc(e.id);
        if (!p.roles.includes('edge')) p.roles.push('edge');
        p.connections = (p.connections ?? 0) + e.connections;
      }
      return {
        mode: o.leases ? 'cluster' : 'embedded',
        domain: o.domain,
        at: new Date().toISOString(),
        accounts,
        online,
        shardCount: SHARD_COUNT,
        unownedShards,
        processes: [...processes.values()].sort((a, b) => a.id.localeCompare(b.id)),
        edges,
      };
    },
  };
}

/** Cluster mode: keeps this admin process listed as a member so the cluster view shows it. */
export function announceAdmin(leases: LeaseStore, instanceId: string, ttlMs: number, onError: (err: unknown) => void): () => Promise<void> {
  const beat = () => leases.join('admin', instanceId, ttlMs).catch(onError);
  void beat();
  const timer = setInterval(beat, ttlMs / 3);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await leases.leave('admin', instanceId).catch(onError);
  };
}
