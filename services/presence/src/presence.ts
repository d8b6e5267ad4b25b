// The presence service: one actor per local account owning its roster and subscriptions, and the
// broadcast of its presence to exactly the edges that hold interested subscribers
// (ARCHITECTURE.md, path of a stanza §4; RFC 6121 §2-4). Roster IQs come from extension modules.
import { ActorHost, actorOutput, type Fence, isLocalAccount, patchOrigin, ShardMovedError } from '@parley/actor';
import type { Bus } from '@parley/bus';
import { dispatchIq, type LoadedModules, type PresenceActions, type PresenceEnv, type RosterAccess } from '@parley/ext';
import { bareOf, tryParseJid } from '@parley/jid';
import type { LocationService, ResourceEntry } from '@parley/location';
import type { Logger } from '@parley/log';
import { NS } from '@parley/stanza';
import type { RosterItem, Store } from '@parley/store';
import type { ActorRequest, Origin, WireMessage } from '@parley/wire';
import { type Element, xml } from '@parley/xml';
import { broadcaster, hasFrom, hasTo } from './broadcast.ts';
import { type DirectedState, directedPresence } from './directed.ts';
import { type InboundState, inboundPresence } from './inbound.ts';
import { emptyStats, type FanoutStats } from './interest.ts';
import { type TreeState, treeKeeper } from './tree-keeper.ts';
import { isSubscriptionType, isVisible, outbound, type SubscriptionType, subscriptionStanza } from './subscription.ts';

export interface PresenceDeps {
  domain: string;
  bus: Bus<WireMessage>;
  location: LocationService;
  store: Store;
  log: Logger;
  modules: LoadedModules;
  /** Hierarchical fan-out: a tree spanning more edges than this hands groups of deliveries to relays (default 16). */
  relayAbove?: number;
}

/**
 * Roster items, the pruned tree and whom we told about our resources (`TreeState`, tree-keeper.ts);
 * whom each resource sent directed presence (`DirectedState`, directed.ts).
 */
interface AccountState extends TreeState, DirectedState, InboundState {
  exists: boolean;
  version: number;
}

export function createPresenceHost(deps: PresenceDeps, stats: FanoutStats = emptyStats()): ActorHost<AccountState, ActorRequest, void> {
  const { domain, location, store, log, modules } = deps;
  const out = actorOutput(deps.bus);
  const hooks = modules.presence.hooks;
  const isLocal = (bare: string) => bareOf(bare).endsWith(`@${domain}`);
  const env: PresenceEnv = {
    domain,
    location,
    store,
    log,
    answer: out.answer,
    fail: out.fail,
    publish: (recipients, stanzaXml, stampRecipient) => out.publish(recipients, stanzaXml, { stampRecipient }),
    tell: (service, msg) => out.tell(service, msg, (err) => log.warn('actor request failed', { err: err.message, service, kind: msg.kind })),
  };
  const relayAbove = deps.relayAbove ?? 16;
  const fan = broadcaster(
    env,
    isLocal,
    hooks.flatMap((h) => (h.deliver ? [h.deliver.bind(h)] : [])),
    (targets, stanzaXml, publisher) => out.publish(targets, stanzaXml, { stampRecipient: true, tree: publisher, relayAbove }),
  );
  const tree = treeKeeper({ location, fan, stats, isLocal, tell: env.tell });
  const { broadcastOwn, subscriptionMoved } = tree;
  const outboundHooks = hooks.flatMap((h) => (h.outbound ? [h.outbound.bind(h)] : []));
  const availableHooks = hooks.flatMap((h) => (h.ownAvailable ? [h.ownAvailable.bind(h)] : []));

  /** 'own-available' hooks: the available presence a client sent, as the modules rewrite it before it goes anywhere. */
  async function ownAvailable(key: string, stanza: Element, origin: Origin, directed: boolean): Promise<Element> {
    for (const hook of availableHooks) {
      const r = await hook({ env, key, origin, stanza, directed });
      if (r.kind === 'rewrite') stanza = r.stanza;
    }
    return stanza;
  }

  /**
   * Hand a presence stanza to another local account's presence actor (its inbound processing).
   * Never awaited: the bus keeps the order of our requests to the same actor.
   */
  function toContactActor(contact: string, stanza: Element): void {
    // A contact at another domain: the federation service takes it to the contact's server.
    env.tell(isLocal(contact) ? 'presence' : 's2s', { kind: 'presence-in', key: contact, stanza });
  }
  const directed = directedPresence({ fan, isLocal, toContactActor });
  const presenceIn = inboundPresence<AccountState>({ env, location, fan, isLocal, hooks, toContactActor, rosterOf });

  async function changed(key: string, version: number, item: RosterItem | { contact: string; remove: true }): Promise<void> {
    for (const h of hooks) await h.rosterChanged?.({ env, key, version, item });
  }

  /** The roster is durable state: only the shard's current owner writes it (the fence, docs/decisions/0006). */
  function rosterOf(key: string, state: AccountState, fence: Fence | undefined): RosterAccess {
    const owner = () => {
      if (fence && !fence.valid()) throw new ShardMovedError(fence.shard);
    };
    return {
      get version() {
        return state.version;
      },
      items: () => [...state.items.values()],
      get: (contact) => state.items.get(contact),
      save: async (item) => {
        owner();
        const before = state.items.get(item.contact);
        state.version = await store.roster.upsert(key, item);
        state.items.set(item.contact, item);
        await subscriptionMoved(state, item.contact, before, item);
        if (isVisible(item)) await changed(key, state.version, item);
      },
      remove: async (contact) => {
        const current = state.items.get(contact);
        if (!current) return;
        owner();
        // RFC 6121 §2.5.2: removing an item cancels the subscriptions both ways.
        if (hasTo(current) || current.ask) toContactActor(contact, subscriptionStanza('unsubscribe', key, contact));
        if (hasFrom(current) || current.pendingIn) {
          if (hasFrom(current)) await fan.sendUnavailable(key, contact);
          toContactActor(contact, subscriptionStanza('unsubscribed', key, contact));
        }
        const version = await store.roster.remove(key, contact);
        state.items.delete(contact);
        await subscriptionMoved(state, contact, current, undefined);
        if (version !== null) state.version = version;
        await changed(key, state.version, { contact, remove: true });
      },
    };
  }

  /** RFC 6121 §4.2 and §4.5: presence without `to` from one of the account's resources. */
  async function ownPresence(key: string, state: AccountState, sent: Element, origin: Origin): Promise<void> {
    const type = sent.attr('type');
    if (type !== undefined && type !== 'unavailable') return; // probes/errors from clients are ignored (§4.3)
    const entry = (await location.resources(key)).find((r) => r.conn === origin.conn);
    if (!entry) return;
    const wasAvailable = entry.available;
    const nowAvailable = type === undefined;
    const stanza = nowAvailable ? await ownAvailable(key, sent, origin, false) : sent;
    const priority = clampPriority(stanza.getChildText('priority'));
    stanza.setAttr('to', undefined);
    const serialized = stanza.toString();
    await patchOrigin(deps.bus, location, origin, { available: nowAvailable, priority, presence: nowAvailable ? serialized : undefined });
    if (!nowAvailable && !wasAvailable) return;
    await broadcastOwn(key, state, entry.jid, serialized, undefined, nowAvailable ? undefined : { conn: origin.conn, jid: entry.jid });
    if (!nowAvailable) await wentAway(key, state, { jid: entry.jid, conn: origin.conn }, stanza.getChildText('status'));
    if (nowAvailable && !wasAvailable) await initialPresence(key, state, origin, priority);
    // XEP-0160 §2: offline messages wait for the next non-negative available presence.
    else if (nowAvailable && entry.priority < 0 && priority >= 0) await reachable(key, origin, priority);
    if (nowAvailable) for (const h of hooks) await h.ownPresence?.({ env, key, origin, jid: entry.jid, stanza, initial: !wasAvailable });
  }

  const reachable = async (key: string, origin: Origin, priority: number) => {
    for (const h of hooks) await h.available?.({ env, key, origin, priority });
  };

  /** After a resource's unavailable was broadcast: directed-presence targets (§4.6.3), then the modules. */
  async function wentAway(key: string, state: AccountState, r: { jid: string; conn: string }, status?: string): Promise<void> {
    await directed.gone(state, r.jid);
    for (const h of hooks) await h.unavailable?.({ env, key, jid: r.jid, conn: r.conn, status });
  }

  /** §4.2.2-4.2.3: probe results and pending requests for the new resource; then the modules' turn (offline messages). */
  async function initialPresence(key: string, state: AccountState, origin: Origin, priority: number): Promise<void> {
    const target: ResourceEntry = { jid: origin.jid, edge: origin.edge, conn: origin.conn, priority, available: true };
    const contacts = [...state.items.values()].filter(hasTo).map((i) => i.contact);
    const where = await location.resourcesOf([key, ...contacts]);
    for (const [contact, list] of where) {
      for (const r of list) if (r.available && r.presence && r.conn !== origin.conn) await fan.send(r.jid, 'notification', [target], r.presence, true);
      // Unprune: an online contact's tree gains this resource (interest.ts).
      if (contact !== key && isLocal(contact) && list.some((r) => r.available)) {
        const seen = Object.fromEntries(list.flatMap((r) => (r.available && r.presence && r.conn !== origin.conn ? [[r.jid, r.presence]] : [])));
        tree.tellInterest(contact, target, true, seen);
        state.told.add(contact);
      }
    }
    // §4.2.2: contacts at other domains are probed (once per account: only for its first available resource).
    if (!where.get(key)?.some((r) => r.available && r.conn !== origin.conn)) {
      for (const contact of contacts) if (!isLocal(contact)) toContactActor(contact, xml('presence', { xmlns: NS.client, type: 'probe', from: key, to: contact }));
    }
    // RFC 6121 §3.1.3: subscription requests waiting since the user was last online.
    for (const item of state.items.values()) {
      if (item.pendingIn) await fan.send(item.contact, 'subscription', [target], xml('presence', { xmlns: NS.client, from: item.contact, type: 'subscribe' }).toString(), true);
    }
    await reachable(key, origin, priority);
  }

  async function outboundSubscription(key: string, state: AccountState, stanza: Element, type: SubscriptionType, fence: Fence | undefined): Promise<void> {
    const to = tryParseJid(stanza.attr('to') ?? '');
    if (!to) return;
    const contact = to.bareString();
    if (contact === key) return;
    const effect = outbound(type, state.items.get(contact) ?? null, contact);
    if (effect.item) await rosterOf(key, state, fence).save(effect.item);
    // §3.1.2: subscription stanzas travel between bare JIDs.
    // A request carries what the client put in it (a status, a XEP-0172 nick, a XEP-0379 token) to the contact's server.
    const carried = type === 'subscribe' ? stanza.children.filter((c): c is Element => typeof c !== 'string') : [];
    if (effect.forward) toContactActor(contact, xml('presence', { xmlns: NS.client, type, from: key, to: contact }, ...carried));
    if (effect.sendPresence) await fan.sendOurPresence(key, contact);
    if (effect.sendUnavailable) await fan.sendUnavailable(key, contact);
  }

  /** What modules may ask the actor to send (blocking, invisibility), through the same delivery hooks. */
  function actionsOf(key: string, state: AccountState): PresenceActions {
    return {
      unavailableTo: (contact, from) => fan.sendUnavailable(key, contact, from),
      currentTo: (contact, from) => fan.sendOurPresence(key, contact, from),
      async goneFrom({ jid, conn }) {
        await broadcastOwn(key, state, jid, xml('presence', { xmlns: NS.client, from: jid, type: 'unavailable' }).toString(), conn);
        await wentAway(key, state, { jid, conn });
      },
    };
  }

  /** 'presence-outbound' hooks on a client's presence with a `to`: false when one refused or dropped it. */
  async function outboundAdmitted(key: string, state: AccountState, stanza: Element, origin: Origin, fence: Fence | undefined): Promise<boolean> {
    for (const hook of outboundHooks) {
      const r = await hook({ env, key, stanza, origin, roster: rosterOf(key, state, fence) });
      if (r.kind === 'error') out.fail(stanza, origin, r.condition, r.text, r.appCondition);
      if (r.kind !== 'pass') return false;
    }
    return true;
  }

  async function clientStanza(key: string, state: AccountState, stanza: Element, origin: Origin, fence: Fence | undefined): Promise<void> {
    if (stanza.name === 'iq') {
      const from = tryParseJid(stanza.attr('from') ?? '');
      if (!from) return;
      const to = from.bare;
      const ctx = { domain, from, to, iq: stanza, env, key, origin, roster: rosterOf(key, state, fence), presence: actionsOf(key, state) };
      await dispatchIq(modules.presence.iq, 'server', stanza, (payload) => ({ ...ctx, payload }), {
        answer: (el) => out.answer(origin, el),
        fail: (condition, text, app) => out.fail(stanza, origin, condition, text, app),
        patchOwn: (patch) => patchOrigin(deps.bus, location, origin, patch),
      });
      return;
    }
    if (stanza.name !== 'presence') return;
    const type = stanza.attr('type');
    if (stanza.attr('to') !== undefined && !(await outboundAdmitted(key, state, stanza, origin, fence))) return;
    if (isSubscriptionType(type)) await outboundSubscription(key, state, stanza, type, fence);
    else if (stanza.attr('to') === undefined) await ownPresence(key, state, stanza, origin);
    else {
      directed.track(state, stanza);
      await directed.send(state, type === undefined ? await ownAvailable(key, stanza, origin, true) : stanza);
    }
  }

  return new ActorHost<AccountState, ActorRequest, void>(
    {
      activate: async (key) => {
        if (!(await isLocalAccount(key, domain, store.users))) return { exists: false, version: 0, items: new Map(), directed: new Map(), told: new Set() };
        const r = await store.roster.get(key);
        return { exists: true, version: r.version, items: new Map(r.items.map((i) => [i.contact, i])), directed: new Map(), told: new Set() };
      },
      handle: async (state, msg, key, ctx) => {
        switch (msg.kind) {
          case 'stanza':
            if (msg.origin && state.exists) await clientStanza(key, state, msg.stanza, msg.origin, ctx.fence);
            return;
          case 'presence-in':
            await presenceIn(key, state, msg.stanza, ctx.fence);
            return;
          case 'resource-gone':
            if (msg.available) {
              await broadcastOwn(key, state, msg.jid, xml('presence', { xmlns: NS.client, from: msg.jid, type: 'unavailable' }).toString(), undefined, { conn: msg.conn, jid: msg.jid });
              await wentAway(key, state, msg);
            }
            for (const h of hooks) await h.resourceGone?.({ env, key, jid: msg.jid, conn: msg.conn, available: msg.available });
            return;
          case 'presence-interest': {
            await tree.notice(key, state, msg.subscriber, msg.on);
            return;
          }
          case 'presence-stale':
            await tree.repair(key, state, msg.edge, msg.conns);
            return;
          default:
            return;
        }
      },
    },
    { onError: (err, key) => log.error('presence actor failure', { err, key }) },
  );
}

/** RFC 6121 §4.7.2.3: priority is an integer -128..127, default 0. */
function clampPriority(text: string | undefined): number {
  if (text === undefined) return 0;
  const n = Number.parseInt(text.trim(), 10);
  if (!Number.isFinite(n)) return 0;
  return Math.max(-128, Math.min(127, n));
}
