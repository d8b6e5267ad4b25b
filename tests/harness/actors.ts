// In-process tests of the session and presence actors: both services on one LocalBus with a
// MemoryLocation and an in-memory PGlite, as embedded mode wires them. Every construction detail
// lives in this file, so a change of the services' wiring is adapted here once; the tests talk
// only bus messages (ActorRequests in, EdgeMessages out) and location entries.
import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import { LocalBus } from '@parley/bus';
import { buildChatroomService } from '@parley/chatroom';
import { type ExtensionModule, loadModules } from '@parley/ext';
import { defaultModules } from '@parley/extensions';
import { MemoryLocation, type ResourceEntry } from '@parley/location';
import { createLogger } from '@parley/log';
import { buildPresenceService, type FanoutStats } from '@parley/presence';
import { buildSessionService } from '@parley/session';
import { createStore, defaultMigrationsDir, migrate, openPglite, type Store } from '@parley/store';
import { type ActorService, actorSubject, edgeSubject } from '@parley/subjects';
import { type ActorReply, type ActorRequest, type EdgeMessage, type Origin, stampTo, stanzasOf, type WireMessage } from '@parley/wire';
import { type Element, parseFragment } from '@parley/xml';

export const DOMAIN = 'example.com';
/** The chatroom service's domain, for worlds that load a module providing rooms. */
export const ROOM_SERVICE = `conference.${DOMAIN}`;
/** Offline messages kept per account before `service-unavailable` (small, so the limit is cheap to reach). */
export const OFFLINE_QUOTA = 3;
export const SERVER_VERSION = '9.9.9-test';

type Delivery = Extract<EdgeMessage, { kind: 'deliver' }>;

/** A bus that knows which requests are in flight, so `settle()` can wait for the actors to go quiet. */
class TrackingBus extends LocalBus<WireMessage> {
  readonly inFlight = new Set<Promise<unknown>>();

  override request(subject: string, msg: WireMessage, opts?: { timeoutMs?: number }): Promise<WireMessage> {
    const p = super.request(subject, msg, opts);
    this.inFlight.add(p);
    const done = () => this.inFlight.delete(p);
    p.then(done, done);
    return p;
  }
}

/** How the world's services are wired where a test needs it otherwise. */
export interface WorldOptions {
  /** The presence fan-out hands deliveries to relays above this many edges. */
  relayAbove?: number;
}

/** A connected resource as the location service knows it. */
export interface Resource {
  jid: string;
  bare: string;
  conn: string;
  edge: string;
  /** What the edge attaches to a stanza it hands over from this connection. */
  origin: Origin;
}

/** Everything the actors sent to one edge, as bus messages and per connection. */
export class EdgeTap {
  private messages: EdgeMessage[] = [];
  private readonly perConn = new Map<string, Element[]>();

  constructor(readonly id: string) {}

  receive(msg: EdgeMessage): void {
    this.messages.push(msg);
    if (msg.kind !== 'deliver') return;
    for (const t of msg.targets) {
      const list = this.perConn.get(t.conn) ?? [];
      for (const xml of stanzasOf(msg)) list.push(parseFragment(t.to ? stampTo(xml, t.to) : xml));
      this.perConn.set(t.conn, list);
    }
  }

  /** The entry changes actors reported to this edge for one connection (`entry` messages), in order. */
  entryPatches(conn: string): Array<Record<string, unknown>> {
    return this.messages.flatMap((m) => (m.kind === 'entry' && m.conn === conn ? [m.patch] : []));
  }

  /** The deliveries (one per bus message) received since the scene last forgot. */
  deliveries(): Delivery[] {
    return this.messages.filter((m): m is Delivery => m.kind === 'deliver');
  }

  /** What one connection received since the scene last forgot, with the per-recipient `to` applied. */
  stanzasFor(conn: string): Element[] {
    return [...(this.perConn.get(conn) ?? [])];
  }

  forget(): void {
    this.messages = [];
    this.perConn.clear();
  }
}

export interface ResourceOptions {
  priority?: number;
  available?: boolean;
  sm?: boolean;
  carbons?: boolean;
  rosterInterest?: boolean;
  /** Last broadcast presence (what probes are answered with). */
  presence?: string;
}

/** One test's world: its own accounts and edges, named after the test so tests never share state. */
export class Scene {
  private readonly taps: EdgeTap[] = [];
  private connCount = 0;
  /** For what the edge itself does with locations (unregister, acknowledge); tests read entries with `entry`. */
  readonly location: MemoryLocation;

  constructor(
    private readonly world: ActorWorld,
    readonly tag: string,
  ) {
    this.location = world.location;
  }

  /** The world's store (what a module's periodic task is given). */
  get store(): Store {
    return this.world.store;
  }

  /** Creates an account and returns its bare JID. */
  async account(name: string): Promise<string> {
    const local = `${name}-${this.tag}`;
    assert.equal(await this.world.store.users.create(local, DOMAIN, []), true, `account ${local} exists already`);
    return `${local}@${DOMAIN}`;
  }

  /** A bare JID of this domain with no account behind it. */
  nobody(name: string): string {
    return `${name}-${this.tag}@${DOMAIN}`;
  }

  edge(name: string): EdgeTap {
    const tap = new EdgeTap(`${name}-${this.tag}`);
    this.world.bus.subscribe(edgeSubject(tap.id), (msg) => {
      tap.receive(msg as EdgeMessage);
      return undefined;
    });
    this.taps.push(tap);
    return tap;
  }

  /** Registers a resource on `edge` (available with priority 0 unless told otherwise). */
  async online(bare: string, resource: string, edge: EdgeTap, opts: ResourceOptions = {}): Promise<Resource> {
    const jid = `${bare}/${resource}`;
    const conn = `conn-${this.tag}-${++this.connCount}`;
    const entry: ResourceEntry = { jid, edge: edge.id, conn, priority: opts.priority ?? 0, available: opts.available ?? true, ...pick(opts) };
    assert.deepEqual(await this.world.location.register(entry), { ok: true });
    return { jid, bare, conn, edge: edge.id, origin: { edge: edge.id, conn, jid } };
  }

  async entry(r: Resource): Promise<ResourceEntry | undefined> {
    return (await this.world.location.resources(r.bare)).find((e) => e.conn === r.conn);
  }

  /** A stanza from a client connection, stamped with its full JID as the edge does, to `service`'s actor `key`. */
  stanza(service: ActorService, key: string, xmlText: string, from?: Resource): Promise<void> {
    const stanza = parseFragment(xmlText);
    if (from) stanza.setAttr('from', from.jid);
    return this.request(service, { kind: 'stanza', key, stanza, origin: from?.origin, id: `handoff-${this.tag}-${++this.connCount}` });
  }

  /** A raw actor request; asserts the actor accepted it, then waits until every actor is quiet. */
  async request(service: ActorService, req: ActorRequest): Promise<void> {
    assert.deepEqual(await this.ask(service, req), { ok: true }, `${service} actor ${req.key} refused ${req.kind}`);
  }

  /** A raw actor request once, whatever the reply (no retry), after which every actor is quiet. */
  async ask(service: ActorService, req: ActorRequest): Promise<ActorReply> {
    // Generous: opening PGlite on a loaded machine can hold the first requests up for seconds.
    const reply = (await this.world.bus.request(actorSubject(service, req.key), req, { timeoutMs: 30_000 })) as ActorReply;
    await this.world.settle();
    return reply;
  }

  /**
   * Given `subscriber` asked for `publisher`'s presence and the publisher approved (RFC 6121 §3.1),
   * both over the bus from these resources; what that delivered is forgotten.
   */
  async subscribed(subscriber: Resource, publisher: Resource): Promise<void> {
    await this.stanza('presence', subscriber.bare, `<presence type="subscribe" to="${publisher.bare}"/>`, subscriber);
    await this.stanza('presence', publisher.bare, `<presence type="subscribed" to="${subscriber.bare}"/>`, publisher);
    this.forget();
  }

  /** What the resource's connection received since the scene last forgot, with the per-recipient `to` applied. */
  received(r: Resource): Element[] {
    const tap = this.taps.find((t) => t.id === r.edge);
    assert.ok(tap, `no edge ${r.edge} in this scene`);
    return tap.stanzasFor(r.conn);
  }

  /** Everything received so far is dropped: the next phase of the conversation starts clean. */
  forget(): void {
    for (const t of this.taps) t.forget();
  }
}

function pick(o: ResourceOptions): Partial<ResourceEntry> {
  const out: Partial<ResourceEntry> = {};
  if (o.sm !== undefined) out.sm = o.sm;
  if (o.carbons !== undefined) out.carbons = o.carbons;
  if (o.rosterInterest !== undefined) out.rosterInterest = o.rosterInterest;
  if (o.presence !== undefined) out.presence = o.presence;
  return out;
}

export class ActorWorld {
  private scenes = 0;
  private readonly complaints: string[] = [];
  readonly bus = new TrackingBus((err, subject) => this.complaints.push(`bus handler failed on ${subject}: ${String(err)}`));
  readonly location = new MemoryLocation();
  private readonly stops: Array<() => void> = [];
  /** The presence fan-out's running costs (pruned tree): changes, bus messages, lookups. */
  readonly fanout: () => FanoutStats;

  private constructor(
    readonly store: Store,
    extra: ExtensionModule[],
    opts: WorldOptions,
  ) {
    const log = createLogger({ level: 'warn', pretty: false, write: (line) => this.complaints.push(line) });
    const modules = loadModules([...defaultModules({ serverVersion: SERVER_VERSION, offlineQuota: OFFLINE_QUOTA }), ...extra]);
    const session = buildSessionService({ domain: DOMAIN, bus: this.bus, location: this.location, store, log, modules });
    const presence = buildPresenceService({ domain: DOMAIN, bus: this.bus, location: this.location, store, log, modules, relayAbove: opts.relayAbove });
    this.fanout = () => structuredClone(presence.fanoutStats());
    const chatroom = buildChatroomService({ domain: DOMAIN, service: ROOM_SERVICE, bus: this.bus, location: this.location, store, log, modules });
    for (const svc of [session, presence, chatroom]) {
      svc.start();
      this.stops.push(() => svc.stop());
    }
  }

  /** Takes about a second (PGlite and the migrations): once per test file. `extra` modules load after the defaults. */
  static async open(extra: ExtensionModule[] = [], opts: WorldOptions = {}): Promise<ActorWorld> {
    const sql = await openPglite(null, { migratedFrom: defaultMigrationsDir });
    await migrate(sql, defaultMigrationsDir);
    return new ActorWorld(createStore(sql), extra, opts);
  }

  scene(): Scene {
    return new Scene(this, `t${++this.scenes}`);
  }

  /** The usual opening: Alice and Bob have accounts, there is one edge, and Alice is online on her phone. */
  async aliceAndBob(): Promise<{ s: Scene; alice: string; bob: string; edge: EdgeTap; alicePhone: Resource }> {
    const s = this.scene();
    const alice = await s.account('alice');
    const bob = await s.account('bob');
    const edge = s.edge('edge');
    const alicePhone = await s.online(alice, 'phone', edge);
    return { s, alice, bob, edge, alicePhone };
  }

  /**
   * Waits until no actor request is in flight (actors hand work to each other without waiting)
   * and every published message has reached its subscriber: what has not arrived by then was
   * never sent. Fails if an actor logged a warning or an error meanwhile.
   */
  async settle(): Promise<void> {
    do {
      while (this.bus.inFlight.size > 0) await Promise.allSettled([...this.bus.inFlight]);
      await this.bus.flush();
    } while (this.bus.inFlight.size > 0);
    const seen = this.complaints.splice(0);
    assert.deepEqual(seen, [], 'the actors complained');
  }

  async close(): Promise<void> {
    for (const stop of this.stops) stop();
    await this.bus.close();
    await this.store.close();
  }
}

/** The defined condition of an error stanza (RFC 6120 §8.3), or undefined for any other stanza. */
export function errorCondition(stanza: Element): string | undefined {
  if (stanza.attr('type') !== 'error') return undefined;
  return stanza.getChild('error')?.getChildElements().find((c) => c.getNS() === 'urn:ietf:params:xml:ns:xmpp-stanzas' && c.name !== 'text')?.name;
}

/** One world per test file (opening one takes about a second): opened before the file's first test, closed after its last. */
export function actorWorldPerFile(extra: ExtensionModule[] = [], opts: WorldOptions = {}): Pick<ActorWorld, 'scene' | 'aliceAndBob' | 'fanout'> {
  let world: ActorWorld | undefined;
  before(async () => {
    world = await ActorWorld.open(extra, opts);
  });
  after(() => world?.close());
  const opened = () => {
    assert.ok(world, 'the world opens before the first test');
    return world;
  };
  return { scene: () => opened().scene(), aliceAndBob: () => opened().aliceAndBob(), fanout: () => opened().fanout() };
}
