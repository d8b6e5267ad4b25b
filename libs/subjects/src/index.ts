// Every bus subject and actor key is built and validated here (STYLE.md §2); nobody else
// concatenates subject strings. Subjects are NATS-compatible tokens separated by '.'.
import { createHash } from 'node:crypto';

/**
 * `s2s` is not an actor service but is addressed like one: a stanza for another domain is handed
 * to the federation service (services/s2s) with the remote domain (or an address there) as its
 * key, and acknowledged once queued. Its shards are shards of the *domain* (`s2sShardOf`): in a
 * cluster one s2s process owns each, so everything for one domain leaves through one stream.
 */
export type ActorService = 'session' | 'presence' | 'chatroom' | 's2s';

/** The domain of an address or domain key (`bob@b.test/r`, `bob@b.test`, `b.test`). */
function domainOfKey(key: string): string {
  const slash = key.indexOf('/');
  const bare = slash < 0 ? key : key.slice(0, slash);
  return bare.slice(bare.indexOf('@') + 1);
}

/** The federation shard of a remote domain, or of an address at it. */
export function s2sShardOf(domainOrAddress: string): number {
  return shardOf(domainOfKey(domainOrAddress));
}

const S2S_EDGE_PREFIX = 's2s_shard_';

/**
 * The "edge" under which the federation service receives deliveries for `domain`: an actor that
 * delivers to a remote JID, or answers a stanza that came from another server, sends to this edge
 * with the remote domain as the connection id. One per federation shard, so that deliveries to a
 * domain reach the one s2s process holding its stream, in order (RFC 6120 §10.1), as
 * `actorSubject('s2s', …)` does for hand-offs.
 */
export function s2sEdge(domainOrAddress: string): string {
  return s2sEdgeOfShard(s2sShardOf(domainOrAddress));
}

export function s2sEdgeOfShard(shard: number): string {
  return `${S2S_EDGE_PREFIX}${shard}`;
}

/** True for the edge id of a federation shard (`s2sEdge`), which no edge process may take. */
export function isS2sEdge(edgeId: string): boolean {
  return edgeId.startsWith(S2S_EDGE_PREFIX);
}

/** Number of shards per actor service; keys hash onto shards, instances own shards. */
export const SHARD_COUNT = 64;

const TOKEN = /^[A-Za-z0-9_-]{1,64}$/;

/** True for a single subject token that is safe to embed (no dots, wildcards or spaces). */
export function validToken(s: string): boolean {
  return TOKEN.test(s);
}

function token(s: string, what: string): string {
  if (!validToken(s)) throw new Error(`invalid ${what} for a bus subject: ${JSON.stringify(s)}`);
  return s;
}

/** FNV-1a 32-bit: stable across processes and languages, cheap per stanza. */
export function hashKey(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export function shardOf(key: string, shards = SHARD_COUNT): number {
  return hashKey(key) % shards;
}

/** Mailbox subject of one shard of an actor service. */
export function actorShardSubject(service: ActorService, shard: number): string {
  if (!Number.isInteger(shard) || shard < 0 || shard >= SHARD_COUNT) throw new Error(`invalid shard ${shard}`);
  return `parley.actor.${service}.${shard}`;
}

/** Subject that reaches the actor owning `key` (a bare JID or a room JID; for s2s, its domain decides). */
export function actorSubject(service: ActorService, key: string): string {
  return actorShardSubject(service, service === 's2s' ? s2sShardOf(key) : shardOf(key));
}

/** Deliveries and control messages for one edge process. */
export function edgeSubject(edgeId: string): string {
  return `parley.edge.${token(edgeId, 'edge id')}`;
}

export function allShards(): number[] {
  return Array.from({ length: SHARD_COUNT }, (_, i) => i);
}

/**
 * The s2s process holding external component `domain`'s connection (XEP-0114) subscribes here;
 * another s2s process forwards the component's stanzas to it. Domains have dots, so the token is
 * a digest of the domain (the receiver checks the domain again).
 */
export function componentSubject(domain: string): string {
  return `parley.component.${createHash('sha256').update(domain).digest('hex').slice(0, 40)}`;
}

/** Relays of the hierarchical presence fan-out: every presence process serves it in one queue group. */
export function relaySubject(): string {
  return 'parley.relay.presence';
}

/**
 * Cluster-wide notices every process hears (no queue group): a privacy policy that changed, a
 * process whose bus connection came back, a revoked credential.
 */
export function controlSubject(topic: 'privacy' | 'archive-prefs' | 'bus' | 'credentials'): string {
  return `parley.control.${token(topic, 'control topic')}`;
}
