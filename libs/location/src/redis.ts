// Location service on Redis for cluster mode (ARCHITECTURE.md, Location service). Every ownership
// change is one Lua script, so it is atomic against every other edge and actor (STYLE.md §8:
// register never overwrites; unregister/replace/update compare the connection id).
//
// Keys (after the prefix):
//   r:<bare>      hash  full JID → JSON entry          (the location itself)
//   e:<edge>      hash  full JID → conn id              (index for removeEdge; checked, never trusted)
//   alive:<edge>  string with a TTL                     (liveness, apart from location)
//   edges         set of edge ids that beat or registered (what the reaper looks at)
//   count         integer, number of entries            (metrics without a scan)
//   epoch         random id, set once per data set        (gone or changed: the store lost its data)
//   recovering    flag with a TTL                         (edges are registering their sessions again)
//   o:<conn>      hash  delivery id → "<n>|<xml>"         (XEP-0198 outbox of unacknowledged deliveries)
//   os:<conn>     hash  delivery id → stream position      (where each was written to the client)
//   sm:<id>       JSON SmRecord with a TTL                 (XEP-0198 §5 resumable stream, by its id)
//   detached      sorted set "<jid>\n<conn>" by window end (detached resumable sessions)
//
// Redis Cluster (decision 0026): a script or MULTI may only touch keys of one hash slot, declared in
// KEYS. The prefix carries a hash tag (`parley:{loc}:`), so a data set is one slot: every ownership
// change stays one atomic script. Keys a script needs that depend on what it reads (the old edge's
// index, the entries of a batch) are read first and passed in KEYS; the script checks it was given
// the right one and the call is retried otherwise.
import { createHash, randomBytes } from 'node:crypto';
// Types only at load: ioredis is imported by connect(), so an embedded server never loads it (decision 0035).
import type { Cluster, Redis, RedisOptions } from 'ioredis';
import { bareOf } from '@parley/jid';
import { type LocationService, RESOURCE_PATCH_FIELDS, type RegisterResult, type ResourceEntry, type ResourcePatch, type ResumedSession, type SmRecord } from './location.ts';

/** A single Redis (or a primary behind Sentinel), or a Redis Cluster. */
export type RedisClient = Redis | Cluster;

export interface RedisLocationOptions {
  /**
   * Prepended to every key; default `parley:{loc}:`. On Redis Cluster it must hold a hash tag
   * (`{…}`), so that every key of the data set is in one slot.
   */
  prefix?: string;
  /** Heartbeat TTL used when `heartbeat()` is given no positive TTL; default 15000. */
  edgeTtlMs?: number;
  /**
   * How long lookups count as `recovering` after a loss is detected (default half the edge TTL:
   * every live edge beats, notices and registers again well within it).
   */
  recoveryWindowMs?: number;
}

const REGISTER = script(`
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if cur then return cur end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[4])
redis.call('SADD', KEYS[3], ARGV[3])
redis.call('INCR', KEYS[4])
return false`);

// KEYS r:<bare>, e:<new edge>, edges, e:<old edge>; ARGV jid, entry, expected conn, new edge, new conn, old edge.
// -1: the entry's edge is not the one whose index was passed (read again and retry).
const REPLACE = script(`
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if not cur then return 0 end
local e = cjson.decode(cur)
if e.conn ~= ARGV[3] then return 0 end
if e.edge ~= ARGV[6] then return -1 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
if KEYS[4] ~= KEYS[2] then redis.call('HDEL', KEYS[4], ARGV[1]) end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[5])
redis.call('SADD', KEYS[3], ARGV[4])
return 1`);

// KEYS r:<bare>, count, e:<edge>; ARGV jid, conn, edge.
const UNREGISTER = script(`
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if not cur then return 0 end
local e = cjson.decode(cur)
if e.conn ~= ARGV[2] then return 0 end
if e.edge ~= ARGV[3] then return -1 end
redis.call('HDEL', KEYS[1], ARGV[1])
if redis.call('HGET', KEYS[3], ARGV[1]) == ARGV[2] then redis.call('HDEL', KEYS[3], ARGV[1]) end
redis.call('DECR', KEYS[2])
return 1`);

const UPDATE = script(`
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if not cur then return 0 end
local e = cjson.decode(cur)
if e.conn ~= ARGV[2] then return 0 end
for k, v in pairs(cjson.decode(ARGV[3])) do
  if v == cjson.null then e[k] = nil else e[k] = v end
end
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(e))
return 1`);

// One batch of removeEdge/reap: compare-and-delete each (jid, conn) the edge index listed.
// In reap mode a live heartbeat stops it: an edge that came back keeps its entries.
// A resumable entry (XEP-0198 §5) is detached for its window instead.
// KEYS e:<edge>, edges, count, alive:<edge>, detached, then r:<bare> of each pair; ARGV edge, mode, now, (jid, conn) pairs.
const REMOVE_OWNED = script(`
if ARGV[2] == 'reap' and redis.call('EXISTS', KEYS[4]) == 1 then return {1} end
local out = {0}
for i = 4, #ARGV, 2 do
  local jid, conn = ARGV[i], ARGV[i + 1]
  local rk = KEYS[6 + (i - 4) / 2]
  local cur = redis.call('HGET', rk, jid)
  if cur then
    local e = cjson.decode(cur)
    if e.conn == conn and e.edge == ARGV[1] and e.detached == nil then
      if ARGV[2] == 'reap' and type(e.resumable) == 'number' and e.resumable > 0 then
        e.detached = tonumber(ARGV[3]) + e.resumable
        redis.call('HSET', rk, jid, cjson.encode(e))
        redis.call('ZADD', KEYS[5], e.detached, jid .. '\\n' .. conn)
      else
        redis.call('HDEL', rk, jid)
        redis.call('DECR', KEYS[3])
        out[#out + 1] = cur
      end
    end
  end
  if redis.call('HGET', KEYS[1], jid) == conn then redis.call('HDEL', KEYS[1], jid) end
end
return out`);

// Forget the edge once its index is empty (and, when reaping, only if it is still dead).
const FINISH_EDGE = script(`
if ARGV[2] == 'drain' then redis.call('DEL', KEYS[3])
elseif redis.call('EXISTS', KEYS[3]) == 1 then return 0 end
if redis.call('HLEN', KEYS[1]) == 0 then
  redis.call('DEL', KEYS[1])
  redis.call('SREM', KEYS[2], ARGV[1])
end
return 1`);

const OUTBOX_PUT = script(`
local n = redis.call('INCR', KEYS[2])
redis.call('HSET', KEYS[1], ARGV[1], n .. '|' .. ARGV[2])
redis.call('EXPIRE', KEYS[1], ARGV[3])
return n`);

// KEYS r:<bare>, o:<conn>, oseq; ARGV jid, conn, id, xml, ttl. Only while the entry is conn's.
const OUTBOX_PUT_OWNED = script(`
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if not cur then return 0 end
if cjson.decode(cur).conn ~= ARGV[2] then return 0 end
local n = redis.call('INCR', KEYS[3])
redis.call('HSET', KEYS[2], ARGV[3], n .. '|' .. ARGV[4])
redis.call('EXPIRE', KEYS[2], ARGV[5])
return 1`);

// KEYS o:<conn>, os:<conn>; ARGV id, seq pairs: only for deliveries still kept.
const OUTBOX_SENT = script(`
for i = 1, #ARGV, 2 do
  if redis.call('HEXISTS', KEYS[1], ARGV[i]) == 1 then redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1]) end
end
redis.call('EXPIRE', KEYS[2], 86400)
return 1`);

// KEYS sm:<id>; ARGV conn, h, ttl ms.
const SM_HANDLED = script(`
local cur = redis.call('GET', KEYS[1])
if not cur then return 0 end
local s = cjson.decode(cur)
if s.conn ~= ARGV[1] then return 0 end
if tonumber(ARGV[2]) > s.h then s.h = tonumber(ARGV[2]) end
redis.call('SET', KEYS[1], cjson.encode(s), 'PX', ARGV[3])
return 1`);

// KEYS r:<bare>, detached, e:<edge>; ARGV jid, conn, until, edge.
const DETACH = script(`
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if not cur then return 0 end
local e = cjson.decode(cur)
if e.conn ~= ARGV[2] then return 0 end
if e.edge ~= ARGV[4] then return -1 end
e.detached = tonumber(ARGV[3])
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(e))
if redis.call('HGET', KEYS[3], ARGV[1]) == ARGV[2] then redis.call('HDEL', KEYS[3], ARGV[1]) end
redis.call('ZADD', KEYS[2], e.detached, ARGV[1] .. '\\n' .. ARGV[2])
return 1`);

// KEYS r:<bare>, e:<new edge>, edges, detached, o:<old>, o:<new>, os:<old>, os:<new>, sm:<id>, e:<old edge>
// ARGV jid, old conn, new edge, new conn, old edge. Returns {previous, entry, outbox, marks, record}, or -1.
const RESUME = script(`
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if not cur then return false end
local e = cjson.decode(cur)
if e.conn ~= ARGV[2] then return false end
if e.edge ~= ARGV[5] then return -1 end
if redis.call('HGET', KEYS[10], ARGV[1]) == ARGV[2] then redis.call('HDEL', KEYS[10], ARGV[1]) end
redis.call('ZREM', KEYS[4], ARGV[1] .. '\\n' .. ARGV[2])
e.edge = ARGV[3]
e.conn = ARGV[4]
e.detached = nil
local now = cjson.encode(e)
redis.call('HSET', KEYS[1], ARGV[1], now)
redis.call('HSET', KEYS[2], ARGV[1], ARGV[4])
redis.call('SADD', KEYS[3], ARGV[3])
local box = redis.call('HGETALL', KEYS[5])
local marks = redis.call('HGETALL', KEYS[7])
redis.call('DEL', KEYS[5], KEYS[7])
if #box > 0 then
  for i = 1, #box, 2 do redis.call('HSET', KEYS[6], box[i], box[i + 1]) end
  redis.call('EXPIRE', KEYS[6], 86400)
end
local rec = redis.call('GET', KEYS[9])
if rec then
  local s = cjson.decode(rec)
  if s.conn == ARGV[2] then
    s.conn = ARGV[4]
    rec = cjson.encode(s)
    redis.call('SET', KEYS[9], rec, 'KEEPTTL')
  end
else
  rec = ''
end
return {cur, now, box, marks, rec}`);

// KEYS detached, count, then r:<bare> of each member; ARGV now, the members the caller found due.
// Ends those still due (a resume may have taken one meanwhile).
const EXPIRE_DETACHED = script(`
local out = {}
for i = 2, #ARGV do
  local m = ARGV[i]
  local score = redis.call('ZSCORE', KEYS[1], m)
  if score and tonumber(score) <= tonumber(ARGV[1]) then
    redis.call('ZREM', KEYS[1], m)
    local nl = string.find(m, '\\n', 1, true)
    local jid, conn = string.sub(m, 1, nl - 1), string.sub(m, nl + 1)
    local cur = redis.call('HGET', KEYS[1 + i], jid)
    if cur then
      local e = cjson.decode(cur)
      if e.conn == conn and e.detached ~= nil then
        redis.call('HDEL', KEYS[1 + i], jid)
        redis.call('DECR', KEYS[2])
        out[#out + 1] = cur
      end
    end
  end
end
return out`);

const OUTBOX_TAKE = script(`
local all = redis.call('HGETALL', KEYS[1])
redis.call('DEL', KEYS[1], KEYS[2])
return all`);

// KEYS alive, edges, epoch, recovering; ARGV edge, marker, ttl, expected marker, previous marker
// (the beat before a failed one may or may not have landed), new epoch, recovery window.
// Returns 1 when the marker this edge wrote last is still there: nothing of the edge was lost.
const HEARTBEAT = script(`
local old = redis.call('GET', KEYS[1])
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
redis.call('SADD', KEYS[2], ARGV[1])
redis.call('SET', KEYS[3], ARGV[6], 'NX')
if old and (old == ARGV[4] or old == ARGV[5]) then return 1 end
if ARGV[4] ~= '' then redis.call('SET', KEYS[4], '1', 'PX', ARGV[7]) end
return 0`);

// KEYS epoch, recovering; ARGV epoch this client knows ('' if none yet), new epoch, window.
// Returns {epoch, recovering}. A missing or different epoch means the data set was replaced.
const RECOVERING = script(`
local cur = redis.call('GET', KEYS[1])
if not cur then
  redis.call('SET', KEYS[1], ARGV[2])
  cur = ARGV[2]
end
if ARGV[1] ~= '' and cur ~= ARGV[1] then
  redis.call('SET', KEYS[2], '1', 'PX', ARGV[3], 'NX')
  return {cur, 1}
end
return {cur, redis.call('EXISTS', KEYS[2])}`);

const BATCH = 500;

export class RedisLocation implements LocationService {
  private readonly prefix: string;
  private readonly edgeTtlMs: number;
  private readonly recoveryWindowMs: number;
  private owned = false;
  /** The data set's epoch as this client last saw it ('' before the first look). */
  private epoch = '';
  /** Per edge: the marker written by the last confirmed heartbeat and by the last attempted one. */
  private readonly markers = new Map<string, { confirmed: string; attempted: string }>();
  private beats = 0;
  private readonly runId = randomBytes(6).toString('hex');

  /** Uses `redis` without owning it: close() leaves it open. */
  constructor(
    private readonly redis: RedisClient,
    opts: RedisLocationOptions = {},
  ) {
    this.prefix = opts.prefix ?? 'parley:{loc}:';
    if (redis.isCluster && !/\{[^}]+\}/.test(this.prefix)) {
      throw new Error(`location key prefix ${JSON.stringify(this.prefix)} has no hash tag {…}: on Redis Cluster its scripts would span slots`);
    }
    this.edgeTtlMs = opts.edgeTtlMs ?? 15_000;
    this.recoveryWindowMs = opts.recoveryWindowMs ?? this.edgeTtlMs / 2;
  }

  /**
   * Connects (`redis://` or `rediss://` for TLS; credentials in the URL or `redisOptions`) and
   * fails with a clear error if Redis is unreachable. The connection is owned: close() quits it.
   * `createClient` builds another kind of client from the options (a Redis Cluster, decision 0026).
   */
  static async connect(url: string, opts: RedisLocationOptions & { redisOptions?: RedisOptions; createClient?: (o: RedisOptions) => RedisClient } = {}): Promise<RedisLocation> {
    // Auto-pipelining sends the commands of one tick in one write (measured: socket writes dominated).
    const options: RedisOptions = { connectTimeout: 5000, enableAutoPipelining: true, ...opts.redisOptions, lazyConnect: true };
    const redis = opts.createClient ? opts.createClient(options) : new (await import('ioredis')).Redis(url, options);
    // Without a listener ioredis prints every failed reconnect; errors surface on commands instead.
    let lastError: Error | undefined;
    redis.on('error', (err: Error) => {
      lastError = err;
    });
    try {
      await redis.connect();
      await redis.ping();
    } catch (err) {
      redis.disconnect();
      // ioredis rejects with "Connection is closed."; the socket error says why (ECONNREFUSED, auth, TLS).
      const why = lastError?.message ?? (err as Error).message;
      throw new Error(`cannot connect to Redis at ${url.replace(/\/\/[^@/]*@/, '//***@')}: ${why}`, { cause: err });
    }
    const loc = new RedisLocation(redis, opts);
    loc.owned = true;
    // Learn the data set's epoch now, so a later loss is told apart from a first start.
    await loc.recovering();
    return loc;
  }

  async register(entry: ResourceEntry): Promise<RegisterResult> {
    const cur = await this.run(
      REGISTER,
      [this.rKey(entry.jid), this.eKey(entry.edge), this.key('edges'), this.key('count')],
      [entry.jid, toJson(entry), entry.edge, entry.conn],
    );
    return cur == null ? { ok: true } : { ok: false, current: JSON.parse(cur as string) as ResourceEntry };
  }

  async replace(entry: ResourceEntry, expectedConn: string): Promise<boolean> {
    const r = await this.onOwnEntry(entry.jid, expectedConn, (old) =>
      this.run(REPLACE, [this.rKey(entry.jid), this.eKey(entry.edge), this.key('edges'), this.eKey(old)], [entry.jid, toJson(entry), expectedConn, entry.edge, entry.conn, old]),
    );
    return r === 1;
  }

  async unregister(jid: string, conn: string): Promise<boolean> {
    return (await this.onOwnEntry(jid, conn, (edge) => this.run(UNREGISTER, [this.rKey(jid), this.key('count'), this.eKey(edge)], [jid, conn, edge]))) === 1;
  }

  async update(jid: string, conn: string, patch: ResourcePatch): Promise<boolean> {
    // Only the patchable fields cross into the script (a cast object cannot move jid/edge/conn);
    // an explicit undefined clears the field, as Object.assign does in MemoryLocation.
    const p: Record<string, unknown> = {};
    for (const k of RESOURCE_PATCH_FIELDS) {
      if (k in patch) p[k] = patch[k] ?? null;
    }
    return (await this.run(UPDATE, [this.rKey(jid)], [jid, conn, JSON.stringify(p)])) === 1;
  }

  // The outbox of a connection: a hash of delivery id → "<n>|<xml>", n from a counter for order.
  // It expires a day after the last put, so an outbox nobody takes cannot grow Redis forever.
  async outboxPut(conn: string, id: string, xml: string, jid?: string): Promise<boolean> {
    if (jid === undefined) {
      await this.run(OUTBOX_PUT, [this.key(`o:${conn}`), this.key('oseq')], [id, xml, 86_400]);
      return true;
    }
    return (await this.run(OUTBOX_PUT_OWNED, [this.rKey(jid), this.key(`o:${conn}`), this.key('oseq')], [jid, conn, id, xml, 86_400])) === 1;
  }

  async outboxAck(conn: string, ids: string[]): Promise<void> {
    if (!ids.length) return;
    const p = this.redis.multi();
    p.hdel(this.key(`o:${conn}`), ...ids);
    p.hdel(this.key(`os:${conn}`), ...ids);
    await p.exec();
  }

  async outboxTake(conn: string): Promise<string[]> {
    const flat = (await this.run(OUTBOX_TAKE, [this.key(`o:${conn}`), this.key(`os:${conn}`)], [])) as string[];
    return parseOutbox(flat, []).map((x) => x.xml);
  }

  async outboxPending(conn: string): Promise<Array<{ id: string; xml: string; seq?: number }>> {
    const [box, marks] = await Promise.all([this.redis.hgetall(this.key(`o:${conn}`)), this.redis.hgetall(this.key(`os:${conn}`))]);
    return parseOutbox(Object.entries(box).flat(), Object.entries(marks).flat());
  }

  async outboxSent(conn: string, marks: Array<[string, number]>): Promise<void> {
    if (marks.length) await this.run(OUTBOX_SENT, [this.key(`o:${conn}`), this.key(`os:${conn}`)], marks.flat());
  }

  async smSave(id: string, rec: SmRecord, ttlMs: number): Promise<void> {
    await this.redis.set(this.key(`sm:${id}`), JSON.stringify({ jid: rec.jid, conn: rec.conn, h: rec.h }), 'PX', Math.ceil(ttlMs));
  }

  async smGet(id: string): Promise<SmRecord | null> {
    const v = await this.redis.get(this.key(`sm:${id}`));
    return v ? (JSON.parse(v) as SmRecord) : null;
  }

  async smHandled(id: string, conn: string, h: number, ttlMs: number): Promise<void> {
    await this.run(SM_HANDLED, [this.key(`sm:${id}`)], [conn, h, Math.ceil(ttlMs)]);
  }

  async smDrop(id: string): Promise<void> {
    await this.redis.del(this.key(`sm:${id}`));
  }

  async detach(jid: string, conn: string, until: number): Promise<boolean> {
    return (await this.onOwnEntry(jid, conn, (edge) => this.run(DETACH, [this.rKey(jid), this.key('detached'), this.eKey(edge)], [jid, conn, Math.ceil(until), edge]))) === 1;
  }

  async resume(jid: string, oldConn: string, to: { edge: string; conn: string }, smId: string): Promise<ResumedSession | null> {
    const keys = (old: string) => [
      this.rKey(jid),
      this.eKey(to.edge),
      this.key('edges'),
      this.key('detached'),
      this.key(`o:${oldConn}`),
      this.key(`o:${to.conn}`),
      this.key(`os:${oldConn}`),
      this.key(`os:${to.conn}`),
      this.key(`sm:${smId}`),
      this.eKey(old),
    ];
    const r = (await this.onOwnEntry(jid, oldConn, (old) => this.run(RESUME, keys(old), [jid, oldConn, to.edge, to.conn, old]))) as [string, string, string[], string[], string] | null;
    if (!r) return null;
    const [prev, now, box, marks, rec] = r;
    return {
      previous: JSON.parse(prev) as ResourceEntry,
      entry: JSON.parse(now) as ResourceEntry,
      record: rec ? (JSON.parse(rec) as SmRecord) : null,
      outbox: parseOutbox(box, marks),
    };
  }

  async expireDetached(now = Date.now()): Promise<ResourceEntry[]> {
    const out: ResourceEntry[] = [];
    for (;;) {
      const due = await this.redis.zrangebyscore(this.key('detached'), '-inf', Math.floor(now), 'LIMIT', 0, 200);
      if (due.length === 0) return out;
      const rKeys = due.map((m) => this.rKey(m.slice(0, m.indexOf('\n'))));
      out.push(...parseAll((await this.run(EXPIRE_DETACHED, [this.key('detached'), this.key('count'), ...rKeys], [Math.floor(now), ...due])) as string[]));
      if (due.length < 200) return out;
    }
  }

  async resources(bare: string): Promise<ResourceEntry[]> {
    return parseAll(await this.redis.hvals(this.key(`r:${bare}`)));
  }

  async resourcesOf(bares: string[]): Promise<Map<string, ResourceEntry[]>> {
    const unique = [...new Set(bares)];
    const out = new Map<string, ResourceEntry[]>();
    if (unique.length === 0) return out;
    // One round trip whatever the number of bare JIDs (presence fan-out).
    const p = this.redis.pipeline();
    for (const b of unique) p.hvals(this.key(`r:${b}`));
    const res = (await p.exec()) ?? [];
    unique.forEach((b, i) => {
      const [err, vals] = res[i] ?? [new Error('missing pipeline reply'), null];
      if (err) throw err;
      out.set(b, parseAll(vals as string[]));
    });
    return out;
  }

  async heartbeat(edge: string, ttlMs: number): Promise<boolean> {
    const ttl = ttlMs > 0 ? Math.ceil(ttlMs) : this.edgeTtlMs;
    const m = this.markers.get(edge) ?? { confirmed: '', attempted: '' };
    this.markers.set(edge, m);
    const marker = `${this.runId}:${++this.beats}`;
    const previous = m.attempted;
    m.attempted = marker;
    const keys = [this.key(`alive:${edge}`), this.key('edges'), this.key('epoch'), this.key('recovering')];
    const r = await this.run(HEARTBEAT, keys, [edge, marker, ttl, m.confirmed, previous, randomBytes(8).toString('hex'), Math.ceil(ttl / 2)]);
    m.confirmed = marker;
    return r === 1;
  }

  async recovering(): Promise<boolean> {
    const [epoch, flag] = (await this.run(RECOVERING, [this.key('epoch'), this.key('recovering')], [this.epoch, randomBytes(8).toString('hex'), Math.ceil(this.recoveryWindowMs)])) as [string, number];
    this.epoch = epoch;
    return flag === 1;
  }

  removeEdge(edge: string): Promise<ResourceEntry[]> {
    this.markers.delete(edge);
    return this.clearEdge(edge, 'drain');
  }

  async liveEdges(): Promise<string[]> {
    const edges = await this.redis.smembers(this.key('edges'));
    const alive = await this.aliveFlags(edges);
    return edges.filter((_, i) => alive[i]).sort();
  }

  async reapDeadEdges(): Promise<ResourceEntry[]> {
    const edges = await this.redis.smembers(this.key('edges'));
    const alive = await this.aliveFlags(edges);
    const removed: ResourceEntry[] = [];
    for (const [i, edge] of edges.entries()) {
      if (!alive[i]) removed.push(...(await this.clearEdge(edge, 'reap')));
    }
    removed.push(...(await this.expireDetached()));
    return removed;
  }

  async list(opts: { cursor?: string; limit: number }): Promise<{ entries: ResourceEntry[]; cursor: string | null }> {
    // SCAN walks the r:<bare> keys without blocking Redis; its cursor is the page cursor. SCAN reads
    // one server: on Redis Cluster each master in turn ("<master index>:<cursor>").
    const match = `${this.prefix.replace(/[*?[\]\\]/g, '\\$&')}r:*`;
    const nodes: Redis[] = this.redis.isCluster ? (this.redis as Cluster).nodes('master') : [this.redis as Redis];
    const at = /^(\d+):(\d+)$/.exec(opts.cursor ?? '');
    let node = at ? Number(at[1]) : 0;
    let cursor = at ? at[2]! : (opts.cursor ?? '0');
    const entries: ResourceEntry[] = [];
    while (node < nodes.length && entries.length < opts.limit) {
      const [next, keys] = await nodes[node]!.scan(cursor, 'MATCH', match, 'COUNT', Math.max(10, opts.limit));
      cursor = next;
      if (next === '0') node += 1;
      if (keys.length === 0) continue;
      const p = this.redis.pipeline();
      for (const k of keys) p.hvals(k);
      for (const [err, vals] of (await p.exec()) ?? []) {
        if (err) throw err;
        entries.push(...parseAll(vals as string[]));
      }
    }
    if (node >= nodes.length) return { entries, cursor: null };
    return { entries, cursor: nodes.length > 1 ? `${node}:${cursor}` : cursor };
  }

  async connectionsPerEdge(): Promise<Map<string, number>> {
    const edges = await this.redis.smembers(this.key('edges'));
    const out = new Map<string, number>();
    if (edges.length === 0) return out;
    const p = this.redis.pipeline();
    for (const e of edges) p.hlen(this.eKey(e));
    const res = (await p.exec()) ?? [];
    edges.forEach((e, i) => {
      const [err, n] = res[i] ?? [new Error('missing pipeline reply'), 0];
      if (err) throw err;
      if (Number(n) > 0) out.set(e, Number(n));
    });
    return out;
  }

  async count(): Promise<number> {
    return Number((await this.redis.get(this.key('count'))) ?? 0);
  }

  async close(): Promise<void> {
    if (this.owned) await this.redis.quit();
  }

  /**
   * Walks the edge's index in batches (one script per batch, so Redis is never blocked by a huge
   * edge), removing only entries still owned by this edge and connection.
   */
  private async clearEdge(edge: string, mode: 'drain' | 'reap'): Promise<ResourceEntry[]> {
    const ekey = this.eKey(edge);
    const keys = [ekey, this.key('edges'), this.key('count'), this.key(`alive:${edge}`), this.key('detached')];
    const removed: ResourceEntry[] = [];
    let cursor = '0';
    do {
      const [next, flat] = await this.redis.hscan(ekey, cursor, 'COUNT', BATCH);
      cursor = next;
      if (flat.length === 0) continue;
      const rKeys = flat.filter((_, i) => i % 2 === 0).map((jid) => this.rKey(jid));
      const r = (await this.run(REMOVE_OWNED, [...keys, ...rKeys], [edge, mode, Date.now(), ...flat])) as [number, ...string[]];
      if (r[0] === 1) return removed;
      for (const json of r.slice(1)) removed.push(JSON.parse(json as string) as ResourceEntry);
    } while (cursor !== '0');
    await this.run(FINISH_EDGE, [ekey, this.key('edges'), this.key(`alive:${edge}`)], [edge, mode]);
    return removed;
  }

  private async aliveFlags(edges: string[]): Promise<boolean[]> {
    if (edges.length === 0) return [];
    const p = this.redis.pipeline();
    for (const e of edges) p.exists(this.key(`alive:${e}`));
    const res = (await p.exec()) ?? [];
    return edges.map((_, i) => {
      const [err, n] = res[i] ?? [new Error('missing pipeline reply'), 0];
      if (err) throw err;
      return n === 1;
    });
  }

  private key(s: string): string {
    return this.prefix + s;
  }

  private rKey(jid: string): string {
    return this.key(`r:${bareOf(jid)}`);
  }

  private eKey(edge: string): string {
    return this.key(`e:${edge}`);
  }

  /**
   * Runs `op` with the edge of `jid`'s entry while `conn` holds it (null when it does not): the
   * script needs that edge's index in KEYS, and answers -1 if the entry moved meanwhile.
   */
  private async onOwnEntry(jid: string, conn: string, op: (edge: string) => Promise<unknown>): Promise<unknown> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const cur = await this.redis.hget(this.rKey(jid), jid);
      if (!cur) return null;
      const e = JSON.parse(cur) as ResourceEntry;
      if (e.conn !== conn) return null;
      const r = await op(e.edge);
      if (r !== -1) return r;
    }
    throw new Error(`the location entry of ${jid} kept moving while it was changed`);
  }

  /** EVALSHA, falling back to EVAL once when the server has not cached the script (restart, failover). */
  private async run(s: Script, keys: string[], args: (string | number)[]): Promise<unknown> {
    try {
      return await this.redis.evalsha(s.sha, keys.length, ...keys, ...args);
    } catch (err) {
      if (!String((err as Error).message).startsWith('NOSCRIPT')) throw err;
      return await this.redis.eval(s.lua, keys.length, ...keys, ...args);
    }
  }
}

interface Script {
  lua: string;
  sha: string;
}

function script(lua: string): Script {
  return { lua, sha: createHash('sha1').update(lua).digest('hex') };
}

function toJson(e: ResourceEntry): string {
  const o: ResourceEntry = { jid: e.jid, edge: e.edge, conn: e.conn, priority: e.priority, available: e.available };
  if (e.presence !== undefined) o.presence = e.presence;
  if (e.rosterInterest !== undefined) o.rosterInterest = e.rosterInterest;
  if (e.sm !== undefined) o.sm = e.sm;
  if (e.carbons !== undefined) o.carbons = e.carbons;
  if (e.resumable !== undefined) o.resumable = e.resumable;
  if (e.inactive !== undefined) o.inactive = e.inactive;
  return JSON.stringify(o);
}

/** An outbox hash (id → "<n>|<xml>") and its marks (id → position), oldest first. */
function parseOutbox(flat: string[], marks: string[]): Array<{ id: string; xml: string; seq?: number }> {
  const seq = new Map<string, number>();
  for (let i = 0; i + 1 < marks.length; i += 2) seq.set(marks[i]!, Number(marks[i + 1]));
  const items: Array<{ n: number; id: string; xml: string; seq?: number }> = [];
  for (let i = 0; i + 1 < flat.length; i += 2) {
    const v = flat[i + 1]!;
    const bar = v.indexOf('|');
    items.push({ n: Number(v.slice(0, bar)), id: flat[i]!, xml: v.slice(bar + 1), seq: seq.get(flat[i]!) });
  }
  return items.sort((a, b) => a.n - b.n).map(({ id, xml, seq }) => (seq === undefined ? { id, xml } : { id, xml, seq }));
}

function parseAll(vals: string[]): ResourceEntry[] {
  return vals.map((v) => JSON.parse(v) as ResourceEntry);
}
