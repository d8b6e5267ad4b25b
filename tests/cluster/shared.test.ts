// The scenarios that share one cluster (tests/cluster/shared.ts): 2 edges, 2 session, 2 presence,
// 2 chatroom and 2 s2s processes, started once. Each scenario lives in scenarios/ and creates its own accounts.
// Order matters only at the end: the scenarios that kill or stop a process come last, each leaving
// what the ones after it need (see tests/cluster/README.md).
import { after, before, test, type TestContext } from 'node:test';
import { freePort } from './backends.ts';
import { DOMAIN, TestCluster } from './harness.ts';
import { adminSeesAndKicks } from './scenarios/admin.ts';
import { aioxmppConverses } from './scenarios/aioxmpp.ts';
import { invisibleAcrossEdges } from './scenarios/invisibility.ts';
import { type FederationFixture, federatesAcrossEdges, federationFixture } from './scenarios/federation.ts';
import { archivesAcrossProcesses } from './scenarios/mam.ts';
import { roomSurvivesKill } from './scenarios/muc.ts';
import { pepAcrossEdges } from './scenarios/pep.ts';
import { blockSurvivesPresenceKill } from './scenarios/privacy.ts';
import { profilesAcrossProcesses } from './scenarios/profile.ts';
import { fastTokensAcrossEdges } from './scenarios/sasl2-fast.ts';
import { twoEdgesConverse } from './scenarios/two-edges.ts';
import { type Scenario, scenario, sharedTopology } from './shared.ts';

let cluster: TestCluster | undefined;
let federation: FederationFixture | undefined;
before(async () => {
  federation = await federationFixture(DOMAIN);
  cluster = await TestCluster.start(sharedTopology(await freePort(), federation.env));
}, { timeout: 120_000 });
after(async () => {
  await cluster?.stop();
  federation?.remove();
});

/** A test of `label`'s scenario on the shared cluster. */
function run(label: string, body: (s: Scenario) => Promise<void>) {
  return async (t: TestContext) => {
    if (!cluster) throw new Error('the shared cluster did not start');
    await body(scenario(cluster, t, label));
  };
}

// First: it counts the cluster's online sessions and adds the admin process.
test('an operator sees the cluster from the admin role and kicks a client connected to an edge', { timeout: 180_000 }, run('admin', adminSeesAndKicks));
test('aioxmpp with stream management converses through a cluster', { timeout: 120_000 }, run('aioxmpp', aioxmppConverses));
test('alice on one edge and bob on another subscribe, see each other, chat both ways and see bob leave', { timeout: 120_000 }, run('two-edges', twoEdgesConverse));
test('a tune published on one edge reaches a +notify contact on the other, who fetches it and gets the last one on a new login', { timeout: 120_000 }, run('pep', pepAcrossEdges));
test('a chat across two edges and two session processes is in both archives, paged by each side', { timeout: 180_000 }, run('mam', archivesAcrossProcesses));
test('vCards and uploads work across session and edge processes', { timeout: 120_000 }, run('profile', profilesAcrossProcesses));
test('an invisible user on one edge looks offline to observers on another edge', { timeout: 240_000 }, run('invisibility', invisibleAcrossEdges));
test('a FAST token from one edge logs in on the other, replaces the stale session, rotates and is revoked cluster-wide', { timeout: 150_000 }, run('fast', fastTokensAcrossEdges));
// The only scenario that federates: the s2s processes idle for the others.
test('users on both edges federate with another Parley: subscriptions, presence, messages, IQs, a block, checked certificates', { timeout: 180_000 }, run('federation', (s) => federatesAcrossEdges(s, federation!)));
// From here on, processes die. Chatroom-1: no other scenario uses the chatroom processes.
test('a room with occupants on two edges survives kill -9 of its chatroom process', { timeout: 180_000 }, run('muc', roomSurvivesKill));
// Presence-1: last, since the other scenarios expect two presence processes.
test('a block holds across edges and through a presence process killed with kill -9', { timeout: 150_000 }, run('privacy', blockSurvivesPresenceKill));
