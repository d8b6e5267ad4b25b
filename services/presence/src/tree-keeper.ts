// Keeping the pruned presence tree (interest.ts, decision 0028) inside an account's presence actor:
// broadcasts along it, the interest notices that prune and unprune it, subscription changes, and the
// repair an edge's stale report asks for. The actor (presence.ts) calls these; the state is its own.
import { bareOf } from '@parley/jid';
import type { LocationService, ResourceEntry } from '@parley/location';
import { NS } from '@parley/stanza';
import type { RosterItem } from '@parley/store';
import type { ActorService } from '@parley/subjects';
import type { ActorRequest, InterestedResource } from '@parley/wire';
import { xml } from '@parley/xml';
import { type Broadcaster, hasFrom, hasTo, remoteTarget } from './broadcast.ts';
import { type FanoutStats, InterestTree } from './interest.ts';

/** What of an account's actor state the tree needs. */
export interface TreeState {
  items: Map<string, RosterItem>;
  /** The pruned presence tree: built on the first broadcast while online, dropped when the last resource goes. */
  tree?: InterestTree;
  /** Contacts whose trees we told about our resources (to tell them again when a resource goes). */
  told: Set<string>;
}

export interface TreeDeps {
  location: LocationService;
  fan: Broadcaster;
  stats: FanoutStats;
  isLocal: (bare: string) => boolean;
  tell: (service: ActorService, msg: ActorRequest) => void;
}

export function treeKeeper(deps: TreeDeps) {
  const { location, fan, stats, isLocal } = deps;
  const tellInterest = (contact: string, r: { jid: string; edge: string; conn: string; priority: number }, on: boolean, seen?: Record<string, string>) => {
    stats.notices++;
    deps.tell('presence', { kind: 'presence-interest', key: contact, subscriber: { jid: r.jid, edge: r.edge, conn: r.conn, priority: r.priority, ...(seen ? { seen } : {}) }, on });
  };

  /** The pruned tree: its subscribers' online resources, built from the location service when missing. */
  async function interested(state: TreeState): Promise<InterestTree> {
    if (state.tree) return state.tree;
    const tree = new InterestTree();
    const subscribers = [...state.items.values()].filter(hasFrom).map((i) => i.contact).filter(isLocal);
    if (subscribers.length > 0) {
      stats.lookups.build++;
      for (const list of (await location.resourcesOf(subscribers)).values()) for (const r of list) if (r.available) tree.add(r);
    }
    state.tree = tree;
    return tree;
  }

  /**
   * RFC 6121 §4.2.2/§4.4.2: one resource's presence to its subscribers along the tree and to the
   * account's other resources (except `except`). `going` is a connection that became unavailable: the
   * contacts we told about our resources hear that it went, and when it was the last available one the
   * tree is dropped (rebuilt when the account is back). A resource that only looks gone to others
   * (XEP-0186 invisibility) is not going: it still receives its contacts' presence.
   */
  async function broadcastOwn(key: string, state: TreeState, from: string, stanzaXml: string, except?: string, going?: { conn: string; jid: string }): Promise<void> {
    const tree = await interested(state);
    stats.lookups.own++;
    const own = await location.resources(key);
    stats.changes++;
    // Remote subscribers are one target per contact on the federation service (no location to read).
    const remote = [...state.items.values()].filter((i) => hasFrom(i) && !isLocal(i.contact)).map((i) => remoteTarget(i.contact));
    stats.messages += await fan.broadcast(key, from, [...tree.targets(), ...remote], own, stanzaXml, except ?? going?.conn);
    if (!going) return;
    for (const contact of state.told) tellInterest(contact, { jid: going.jid, edge: '', conn: going.conn, priority: 0 }, false);
    if (!own.some((r) => r.available && r.conn !== going.conn)) {
      state.tree = undefined;
      state.told.clear();
    }
  }

  /** A subscription changed (RFC 6121 §3): the tree gains or loses the contact's resources; `told` follows `to`. */
  async function subscriptionMoved(state: TreeState, contact: string, before: RosterItem | undefined, after: RosterItem | undefined): Promise<void> {
    if (!isLocal(contact)) return;
    if (after && hasTo(after)) {
      if (!before || !hasTo(before)) state.told.add(contact);
    } else state.told.delete(contact);
    if (!state.tree) return;
    const had = before !== undefined && hasFrom(before);
    const has = after !== undefined && hasFrom(after);
    if (had && !has) state.tree.removeContact(contact);
    else if (!had && has) {
      stats.lookups.roster++;
      for (const r of await location.resources(contact)) if (r.available) state.tree.add(r);
    }
  }

  /**
   * An edge reported tree deliveries to connections it does not hold: forget those, look their
   * accounts up again, and send our presence to resources found elsewhere (a session resumed on
   * another connection) — they missed the broadcast that was reported.
   */
  async function repair(key: string, state: TreeState, edge: string, conns: string[]): Promise<void> {
    const tree = state.tree;
    if (!tree) return;
    const accounts = new Set<string>();
    const reported = new Set<string>();
    for (const conn of conns) {
      const r = tree.get(conn);
      if (!r || r.edge !== edge) continue;
      tree.remove(conn);
      reported.add(conn);
      accounts.add(bareOf(r.jid));
    }
    if (accounts.size === 0) return;
    stats.lookups.repair++;
    const moved: ResourceEntry[] = [];
    for (const [contact, list] of await location.resourcesOf([...accounts])) {
      const item = state.items.get(contact);
      if (!item || !hasFrom(item)) continue;
      for (const r of list) {
        if (!r.available || tree.get(r.conn)) continue;
        tree.add(r);
        if (!reported.has(r.conn)) moved.push(r);
      }
    }
    if (moved.length > 0) await fan.sendOurPresence(key, '', undefined, moved);
  }

  /**
   * Unprune: a subscriber's resource came online. Its actor read our presence from the location service
   * and sent it on (`seen`); a broadcast of ours between that read and this notice missed it, so what
   * differs now is sent (RFC 6121 §4.2.2 probe answer, corrected).
   */
  async function joined(key: string, tree: InterestTree, subscriber: InterestedResource): Promise<void> {
    const { seen = {}, ...where } = subscriber;
    const entry: ResourceEntry = { ...where, available: true };
    tree.add(entry);
    stats.lookups.own++;
    const now = new Map<string, string>();
    for (const r of await location.resources(key)) if (r.available && r.presence) now.set(r.jid, r.presence);
    for (const [jid, presence] of now) if (seen[jid] !== presence) await fan.send(jid, 'notification', [entry], presence, true);
    for (const jid of Object.keys(seen)) {
      if (!now.has(jid)) await fan.send(jid, 'notification', [entry], xml('presence', { xmlns: NS.client, from: jid, type: 'unavailable' }).toString(), true);
    }
  }

  /** A subscriber's notice: only an online publisher keeps a tree, and the subscriber must still be subscribed (RFC 6121 §4.4.2). */
  async function notice(key: string, state: TreeState, subscriber: InterestedResource, on: boolean): Promise<void> {
    if (!state.tree) return;
    const item = state.items.get(bareOf(subscriber.jid));
    if (!on) state.tree.remove(subscriber.conn);
    else if (item && hasFrom(item)) await joined(key, state.tree, subscriber);
  }

  return { tellInterest, broadcastOwn, subscriptionMoved, repair, notice };
}
