// The shared cluster of tests/cluster/shared.test.ts: one start (≈15–25 s of two cores) for every
// scenario that needs no topology, settings or backends of its own. A scenario is a function of
// tests/cluster/scenarios/ taking a `Scenario`; it creates fresh accounts (named after the scenario,
// so no two scenarios share one) and closes every client it opened. Scenarios that kill or stop a
// process run at the end of the file, in an order where the loss is harmless to those after them.
import type { TestContext } from 'node:test';
import type { ClusterOptions, TestCluster } from './harness.ts';

/** The edge whose HTTP port is fixed: upload slots (XEP-0363) name it in their URLs. */
export const UPLOAD_EDGE = 'edge-1';

/**
 * Two of each actor role, so every scenario crosses edges, processes and the bus; two s2s processes
 * started with `s2sEnv` (their certificate and peers, scenarios/federation.ts `federationFixture`).
 */
export function sharedTopology(uploadPort: number, s2sEnv: Record<string, string>): ClusterOptions {
  return {
    edges: 2,
    sessions: 2,
    presences: 2,
    chatrooms: 2,
    s2s: 2,
    label: 'shared',
    env: {
      PARLEY_MUC_CREATORS: 'local',
      PARLEY_UPLOAD_ENABLED: 'true',
      PARLEY_UPLOAD_PUBLIC_URL: `http://127.0.0.1:${uploadPort}`,
      PARLEY_UPLOAD_MAX_FILE_BYTES: '4096',
    },
    processEnv: { [UPLOAD_EDGE]: { PARLEY_HTTP_PORT: String(uploadPort) }, 's2s-1': s2sEnv, 's2s-2': s2sEnv },
  };
}

export interface Scenario {
  cluster: TestCluster;
  t: TestContext;
  /** This scenario's account name for `name` ("pep-alice" for "alice" in the pep scenario). */
  user(name: string): string;
  /** Creates this scenario's accounts (`user(name)`, password `password(user(name))`); their bare JIDs. */
  addUsers(names: string[]): Promise<string[]>;
}

export function scenario(cluster: TestCluster, t: TestContext, label: string): Scenario {
  const user = (name: string) => `${label}-${name}`;
  return { cluster, t, user, addUsers: (names) => cluster.addUsers(names.map(user)) };
}
