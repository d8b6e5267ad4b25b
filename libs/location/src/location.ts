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
  /**
   * XEP-0198 §5 resumption enabled, with the window in ms: when the connection is lost (or its edge
   * dies) the entry is detached for that long instead of removed.
   */
  resumable?: number;
  /**
   * Detached (XEP-0198 §5): no connection holds the session, deliveries are only queued in the
   * outbox until it is resumed or this time (ms since the epoch) passes. Set by `detach` only.
   */
  detached?: number;
  /** XEP-0352 client state: the client said it is inactive (push notifications may be due). */
  inactive?: boolean;
}

/** The fields of an entry that may change after registration (never jid, edge or conn). */
export const RESOURCE_PATCH_FIELDS = ['priority', 'available', 'presence', 'rosterInterest', 'sm', 'carbons', 'resumable', 'inactive'] as const;

export type ResourcePatch = Partial<Pick<ResourceEntry, (typeof RESOURCE_PATCH_FIELDS)[number]>>;

/** XEP-0198 §5: a resumable stream, found by its id (`previd`) from any edge. */
export interface SmRecord {
  /** The session's full JID. */
  jid: string;
  /** The connection that holds (or last held) the session; its outbox holds the unacknowledged deliveries. */
  conn: string;
  /** Stanzas from the client handled so far (the `h` a resumption answers with). */
  h: number;
}

/** What a resumption took over (`resume`). */
export interface ResumedSession {
  /** The entry before the move: its edge and connection, whether it was detached. */
  previous: ResourceEntry;
  /** The entry now. */
  entry: ResourceEntry;
  /** The stream's record after the move (its `h` as last saved). */
  record: SmRecord | null;
  /**
   * Unacknowledged deliveries in the order they were kept, each with the stream position it was
   * last written to the client at (`outboxSent`), or undefined if it never was.
   */
  outbox: Array<{ id: string; xml: string; seq?: number }>;
}

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
   * Resumable entries (XEP-0198 §5) are detached for their window instead; detached entries whose
   * window passed are removed and returned too.
   */
  reapDeadEdges(): Promise<ResourceEntry[]>;
  /**
   * Stanzas sent to a connection with XEP-0198 and not yet acknowledged by its client, kept outside
   * the edge so that they survive the edge's death and can be routed again (XEP-0198 §5 leaves
   * undelivered stanzas to the server). Keyed by connection id and delivery id.
   */
  /**
   * With `jid`, only while that resource's entry still belongs to `conn` (false otherwise: the
   * session moved, e.g. it was resumed elsewhere, and the caller must look it up again).
   */
  outboxPut(conn: string, id: string, xml: string, jid?: string): Promise<boolean>;
  outboxAck(conn: string, ids: string[]): Promise<void>;
  /** Remove and return what is left, oldest first. */
  outboxTake(conn: string): Promise<string[]>;
  /**
   * What is left, oldest first, without removing it, each with the stream position it was written
   * to the client at (`outboxSent`), or none if it never was: after the bus lost messages, the edge
   * writes again what never reached the client.
   */
  outboxPending(conn: string): Promise<Array<{ id: string; xml: string; seq?: number }>>;
  /** The stream positions kept deliveries were written to the client at (XEP-0198 §5 resumption). */
  outboxSent(conn: string, marks: Array<[id: string, seq: number]>): Promise<void>;
  /** XEP-0198 §5: remember a resumable stream for `ttlMs`. */
  smSave(id: string, rec: SmRecord, ttlMs: number): Promise<void>;
  smGet(id: string): Promise<SmRecord | null>;
  /** Raise the stream's handled count, only while `conn` holds it; refreshes its lifetime. */
  smHandled(id: string, conn: string, h: number, ttlMs: number): Promise<void>;
  smDrop(id: string): Promise<void>;
  /**
   * The connection of a resumable session is gone but the session waits for resumption until
   * `until` (ms): the entry stays (deliveries are queued in the outbox), marked detached and off its
   * edge's index. False if the entry no longer belongs to `conn`.
   */
  detach(jid: string, conn: string, until: number): Promise<boolean>;
  /**
   * XEP-0198 §5/§6: move a session (attached anywhere, or detached) to a new connection in one
   * step: the entry (with its presence and flags), its outbox and the stream record `smId`. Null
   * if the entry no longer belongs to `oldConn` (expired, or taken by another resumption).
   */
  resume(jid: string, oldConn: string, to: { edge: string; conn: string }, smId: string): Promise<ResumedSession | null>;
  /** Remove detached entries whose window passed and return them (their sessions end now). */
  expireDetached(now?: number): Promise<ResourceEntry[]>;
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
