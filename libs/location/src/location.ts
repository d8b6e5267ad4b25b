// Location service: which edge holds each online resource (ARCHITECTURE.md, Location service).
// Never stores client IP addresses: nothing here is meant to reach other users anyway, but what
// is not stored cannot leak.

export interface ResourceEntry {
  /** Full JID (prepared). */
  jid: string;
  edge: string;
  /** Connection id, unique per connection; ownership changes are compared against it. */
  conn: string;
  priority: number;
  /** True once the resource has sent available presence (RFC 6121 §4.2). */
  available: boolean;
  /** Last broadcast presence, serialized without `to`, answered to probes. */
  presence?: string;
  /** RFC 6121 §2.1.6 interested resource: requested the roster, so receives roster pushes. */
  rosterInterest?: boolean;
  /** XEP-0198 enabled: deliveries are kept in the connection's outbox until the client acks them. */
  sm?: boolean;
  /** XEP-0280 message carbons enabled for this resource. */
  carbons?: boolean;
}

/** The fields of an entry that may change after registration (never jid, edge or conn). */
export const RESOURCE_PATCH_FIELDS = ['priority', 'available', 'presence', 'rosterInterest', 'sm', 'carbons'] as const;

export type ResourcePatch = Partial<Pick<ResourceEntry, (typeof RESOURCE_PATCH_FIELDS)[number]>>;

export type RegisterResult = { ok: true } | { ok: false; current: ResourceEntry };

export interface LocationService {
  /** Register never overwrites: fails with the current owner if the full JID is taken. */
  register(entry: ResourceEntry): Promise<RegisterResult>;
  /** Compare-and-set: replace the entry only if it still belongs to `expectedConn`. */
  replace(entry: ResourceEntry, expectedConn: string): Promise<boolean>;
  /** Compare-and-delete keyed on the connection id; false if another connection owns it now. */
  unregister(jid: string, conn: string): Promise<boolean>;
  /** Update fields of an entry still owned by `conn`; false if it is gone or owned by another. */
  update(jid: string, conn: string, patch: ResourcePatch): Promise<boolean>;
  /** Online resources of a bare JID. */
  resources(bare: string): Promise<ResourceEntry[]>;
  /** Resources of many bare JIDs at once (presence fan-out); missing ones map to []. */
  resourcesOf(bares: string[]): Promise<Map<string, ResourceEntry[]>>;
  /**
   * Edge liveness, kept apart from location: an edge that stops beating loses its entries.
   * Resolves true while the edge's earlier registrations still stand; false on its first beat and
   * whenever its liveness lapsed (the reaper may have removed its entries) or the store lost its
   * data (a restart without persistence, a failover to a replica that missed writes). On false an
   * edge that holds connections registers them again, and lookups count as `recovering` meanwhile.
   */
  heartbeat(edge: string, ttlMs: number): Promise<boolean>;
  /**
   * True for a short while after the store lost entries (detected by a heartbeat or by a lookup
   * finding the store's epoch gone), while edges register their sessions again: an empty answer
   * may then mean "not registered yet" rather than "offline", and a router should wait instead of
   * storing the message offline for a user who never left.
   */
  recovering(): Promise<boolean>;
  /**
   * Remove every entry still owned by an edge (graceful drain or a dead edge); an entry that moved
   * to another owner meanwhile is kept. Also forgets the edge's heartbeat. Returns what was removed.
   */
  removeEdge(edge: string): Promise<ResourceEntry[]>;
  /** Edges whose heartbeat has not expired. */
  liveEdges(): Promise<string[]>;
  /**
   * Remove the entries of every edge without a live heartbeat (expired, or never sent: an edge
   * must beat before it registers connections) and return them, so the presence service can
   * broadcast unavailable for them. An edge that beats again before it is reaped keeps its entries.
   */
  reapDeadEdges(): Promise<ResourceEntry[]>;
  /**
   * Stanzas sent to a connection with XEP-0198 and not yet acknowledged by its client, kept outside
   * the edge so that they survive the edge's death and can be routed again (XEP-0198 §5 leaves
   * undelivered stanzas to the server). Keyed by connection id and delivery id.
   */
  outboxPut(conn: string, id: string, xml: string): Promise<void>;
  outboxAck(conn: string, ids: string[]): Promise<void>;
  /** Remove and return what is left, oldest first. */
  outboxTake(conn: string): Promise<string[]>;
  /**
   * One page of every online resource, for administration (never on a stanza's path). Pass the
   * returned cursor to get the next page; null means there is none. A page holds about `limit`
   * entries (a user's resources stay on one page).
   */
  list(opts: { cursor?: string; limit: number }): Promise<{ entries: ResourceEntry[]; cursor: string | null }>;
  /** Entries held by each edge that holds any (the cluster view). */
  connectionsPerEdge(): Promise<Map<string, number>>;
  /** Count of online resources (metrics). */
  count(): Promise<number>;
  close(): Promise<void>;
}
