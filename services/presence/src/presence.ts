// The presence service: one actor per local account owning its roster and subscriptions, and the
// broadcast of its presence to exactly the edges that hold interested subscribers
// (ARCHITECTURE.md, path of a stanza §4; RFC 6121 §2-4).
import { randomBytes } from 'node:crypto';
import { ActorHost } from '@parley/actor';
import type { Bus } from '@parley/bus';
import { tryParseJid } from '@parley/jid';
import { bareOf, type LocationService, type ResourceEntry } from '@parley/location';
import type { Logger } from '@parley/log';
import { iqResult, mayReplyWithError, NS, type StanzaErrorCondition, stanzaErrorReply } from '@parley/stanza';
import type { RosterItem, Store } from '@parley/store';
import { actorSubject, edgeSubject } from '@parley/subjects';
import { type ActorRequest, deliveriesByEdge, type Origin, type WireMessage } from '@parley/wire';
import { type Element, xml } from '@parley/xml';
import { itemElement, parseRosterSet, rosterQuery } from './roster-iq.ts';
import { inbound, isSubscriptionType, isVisible, outbound, type SubscriptionType } from './subscription.ts';

export interface PresenceDeps {
  domain: string;
  bus: Bus<WireMessage>;
  location: LocationService;
  store: Pick<Store, 'users' | 'roster'>;
  log: Logger;
}

interface AccountState {
  exists: boolean;
  version: number;
  items: Map<string, RosterItem>;
}

const hasFrom = (i: RosterItem) => i.subscription === 'from' || i.subscription === 'both';
const hasTo = (i: RosterItem) => i.subscription === 'to' || i.subscription === 'both';

export function createPresenceHost(deps: PresenceDeps): ActorHost<AccountState, ActorRequest, void> {
  const { domain, bus, location, store, log } = deps;

  const publishTo = (recipients: ResourceEntry[], stanzaXml: string, stampRecipient: boolean) => {
    for (const { edge, msg } of deliveriesByEdge(recipients, stanzaXml, { stampRecipient })) bus.publish(edgeSubject(edge), msg);
  };
  const answer = (origin: Origin, el: Element) =>
    bus.publish(edgeSubject(origin.edge), { kind: 'deliver', xml: el.toString(), targets: [{ conn: origin.conn }] });
  const fail = (origin: Origin, stanza: Element, condition: StanzaErrorCondition, text?: string) => {
    if (mayReplyWithError(stanza)) answer(origin, stanzaErrorReply(stanza, condition, { text, from: stanza.attr('to') ?? domain }));
  };
  const isLocal = (bare: string) => bareOf(bare).endsWith(`@${domain}`);

  /**
   * Hand a presence stanza to another local account's presence actor (its inbound processing).
   * Never awaited inside a handler: two actors waiting on each other would deadlock; the bus keeps
   * the order of our requests to the same actor.
   */
  function toContactActor(contact: string, stanza: Element): void {
    if (!isLocal(contact)) return; // no federation yet: nothing leaves this server
    const msg: ActorRequest = { kind: 'presence-in', key: contact, stanza };
    bus.request(actorSubject('presence', contact), msg, { timeoutMs: 10_000 }).catch((err) => {
      log.warn('presence hand-off failed', { err: (err as Error).message, contact });
    });
  }

  async function save(key: string, state: AccountState, item: RosterItem): Promise<void> {
    state.version = await store.roster.upsert(key, item);
    state.items.set(item.contact, item);
    if (isVisible(item)) await push(key, state.version, itemElement(item));
  }

  /** RFC 6121 §2.1.6: roster pushes go to every interested resource. */
  async function push(key: string, version: number, item: Element): Promise<void> {
    const interested = (await location.resources(key)).filter((r) => r.rosterInterest);
    for (const r of interested) {
      const iq = xml('iq', { xmlns: NS.client, type: 'set', id: `push-${randomBytes(6).toString('hex')}`, to: r.jid }, rosterQuery(version, [item]));
      publishTo([r], iq.toString(), false);
    }
  }

  const available = (rs: ResourceEntry[]) => rs.filter((r) => r.available);

  /** Our available resources' current presence, sent to one contact's available resources. */
  async function sendOurPresence(key: string, contact: string): Promise<void> {
    const [ours, theirs] = await Promise.all([location.resources(key), location.resources(contact)]);
    const targets = available(theirs);
    if (targets.length === 0) return;
    for (const r of available(ours)) if (r.presence) publishTo(targets, r.presence, true);
  }

  async function sendUnavailable(key: string, contact: string): Promise<void> {
    const [ours, theirs] = await Promise.all([location.resources(key), location.resources(contact)]);
    const targets = available(theirs);
    if (targets.length === 0) return;
    for (const r of available(ours)) publishTo(targets, xml('presence', { xmlns: NS.client, from: r.jid, type: 'unavailable' }).toString(), true);
  }

  /** Fan a presence out to our subscribers' and our own available resources, grouped per edge. */
  async function broadcast(key: string, state: AccountState, stanzaXml: string, exceptConn?: string): Promise<void> {
    const subscribers = [...state.items.values()].filter(hasFrom).map((i) => i.contact).filter(isLocal);
    const where = await location.resourcesOf([key, ...subscribers]);
    const targets: ResourceEntry[] = [];
    for (const list of where.values()) for (const r of list) if (r.available && r.conn !== exceptConn) targets.push(r);
    publishTo(targets, stanzaXml, true);
  }

  /** RFC 6121 §4.2 and §4.5: presence without `to` from one of the account's resources. */
  async function ownPresence(key: string, state: AccountState, stanza: Element, origin: Origin): Promise<void> {
    const type = stanza.attr('type');
    if (type !== undefined && type !== 'unavailable') return; // probes/errors from clients are ignored (§4.3)
    const entry = (await location.resources(key)).find((r) => r.conn === origin.conn);
    if (!entry) return;
    const wasAvailable = entry.available;
    const nowAvailable = type === undefined;
    const priority = clampPriority(stanza.getChildText('priority'));
    stanza.setAttr('to', undefined);
    const serialized = stanza.toString();
    await location.update(entry.jid, origin.conn, { available: nowAvailable, priority, presence: nowAvailable ? serialized : undefined });
    if (!nowAvailable && !wasAvailable) return;
    await broadcast(key, state, serialized);
    if (nowAvailable && !wasAvailable) await initialPresence(key, state, origin, priority);
  }

  /** §4.2.2-4.2.3: probe results, pending requests, then offline messages for the new resource. */
  async function initialPresence(key: string, state: AccountState, origin: Origin, priority: number): Promise<void> {
    const target: ResourceEntry = { jid: origin.jid, edge: origin.edge, conn: origin.conn, priority, available: true };
    const contacts = [...state.items.values()].filter(hasTo).map((i) => i.contact);
    const where = await location.resourcesOf([key, ...contacts]);
    for (const list of where.values()) {
      for (const r of list) if (r.available && r.presence && r.conn !== origin.conn) publishTo([target], r.presence, true);
    }
    // RFC 6121 §3.1.3: subscription requests waiting since the user was last online.
    for (const item of state.items.values()) {
      if (item.pendingIn) publishTo([target], xml('presence', { xmlns: NS.client, from: item.contact, type: 'subscribe' }).toString(), true);
    }
    // XEP-0160 §3: offline messages go to a resource with non-negative priority.
    if (priority >= 0) {
      const flush: ActorRequest = { kind: 'flush-offline', key, target: origin };
      bus.request(actorSubject('session', key), flush, { timeoutMs: 10_000 }).catch((err) => log.warn('offline flush failed', { err: (err as Error).message }));
    }
  }

  async function outboundSubscription(key: string, state: AccountState, stanza: Element, type: SubscriptionType, origin: Origin): Promise<void> {
    const to = tryParseJid(stanza.attr('to') ?? '');
    if (!to) return;
    const contact = to.bareString();
    if (contact === key) return;
    const effect = outbound(type, state.items.get(contact) ?? null, contact);
    if (effect.item) await save(key, state, effect.item);
    if (effect.forward) {
      // §3.1.2: subscription stanzas travel between bare JIDs.
      toContactActor(contact, xml('presence', { xmlns: NS.client, type, from: key, to: contact }));
    }
    if (effect.sendPresence) await sendOurPresence(key, contact);
    if (effect.sendUnavailable) await sendUnavailable(key, contact);
    void origin;
  }

  async function inboundSubscription(key: string, state: AccountState, stanza: Element, type: SubscriptionType): Promise<void> {
    const from = tryParseJid(stanza.attr('from') ?? '');
    if (!from || !state.exists) return; // §3.1.3: unknown accounts silently ignore requests
    const contact = from.bareString();
    const effect = inbound(type, state.items.get(contact) ?? null, contact);
    if (effect.item) await save(key, state, effect.item);
    if (effect.deliver) {
      const targets = available(await location.resources(key));
      publishTo(targets, xml('presence', { xmlns: NS.client, type, from: contact, to: key }).toString(), false);
    }
    if (effect.autoReply) toContactActor(contact, xml('presence', { xmlns: NS.client, type: effect.autoReply, from: key, to: contact }));
    if (effect.sendPresence) await sendOurPresence(key, contact);
  }

  /** Directed presence (RFC 6121 §4.6): straight to the addressee's resources. */
  async function directedPresence(stanza: Element): Promise<void> {
    const to = tryParseJid(stanza.attr('to') ?? '');
    const type = stanza.attr('type');
    if (!to || (type !== undefined && type !== 'unavailable')) return;
    const rs = await location.resources(to.bareString());
    const targets = to.resource ? rs.filter((r) => r.jid === to.toString()) : available(rs);
    publishTo(targets, stanza.toString(), false);
  }

  async function rosterIq(key: string, state: AccountState, iq: Element, origin: Origin): Promise<void> {
    const query = iq.getChild('query', NS.roster)!;
    const type = iq.attr('type');
    if (type === 'get') {
      // RFC 6121 §2.6 (roster versioning): an unchanged roster answers with an empty result.
      const ver = query.attr('ver');
      const entry = (await location.resources(key)).find((r) => r.conn === origin.conn);
      if (entry) await location.update(entry.jid, origin.conn, { rosterInterest: true });
      if (ver !== undefined && ver === String(state.version)) {
        answer(origin, iqResult(iq));
        return;
      }
      const items = [...state.items.values()].filter(isVisible).map(itemElement);
      answer(origin, iqResult(iq, rosterQuery(state.version, items)));
      return;
    }
    if (type !== 'set') return;
    const set = parseRosterSet(query, key);
    if (set.kind === 'error') {
      fail(origin, iq, set.condition, set.text);
      return;
    }
    const current = state.items.get(set.contact);
    if (set.kind === 'remove') {
      if (!current || !isVisible(current)) {
        fail(origin, iq, 'item-not-found');
        return;
      }
      // §2.5.2: removing an item cancels subscriptions both ways.
      if (hasTo(current) || current.ask) toContactActor(set.contact, xml('presence', { xmlns: NS.client, type: 'unsubscribe', from: key, to: set.contact }));
      if (hasFrom(current) || current.pendingIn) {
        if (hasFrom(current)) await sendUnavailable(key, set.contact);
        toContactActor(set.contact, xml('presence', { xmlns: NS.client, type: 'unsubscribed', from: key, to: set.contact }));
      }
      const version = await store.roster.remove(key, set.contact);
      state.items.delete(set.contact);
      if (version !== null) state.version = version;
      answer(origin, iqResult(iq));
      await push(key, state.version, itemElement({ contact: set.contact, remove: true }));
      return;
    }
    const base: RosterItem = current ?? { contact: set.contact, name: null, subscription: 'none', ask: null, pendingIn: false, approved: false, groups: [] };
    answer(origin, iqResult(iq));
    await save(key, state, { ...base, name: set.name, groups: set.groups, hidden: false });
  }

  async function resourceGone(key: string, state: AccountState, jid: string, conn: string, wasAvailable: boolean): Promise<void> {
    if (!wasAvailable) return;
    const unavailable = xml('presence', { xmlns: NS.client, from: jid, type: 'unavailable' }).toString();
    await broadcast(key, state, unavailable, conn);
  }

  return new ActorHost<AccountState, ActorRequest, void>(
    {
      activate: async (key) => {
        const at = key.indexOf('@');
        const exists = at > 0 && key.slice(at + 1) === domain && (await store.users.exists(key.slice(0, at), domain));
        if (!exists) return { exists, version: 0, items: new Map() };
        const r = await store.roster.get(key);
        return { exists, version: r.version, items: new Map(r.items.map((i) => [i.contact, i])) };
      },
      handle: async (state, msg, key) => {
        switch (msg.kind) {
          case 'stanza': {
            const { stanza, origin } = msg;
            if (!origin || !state.exists) return;
            if (stanza.name === 'iq') {
              await rosterIq(key, state, stanza, origin);
              return;
            }
            if (stanza.name !== 'presence') return;
            const type = stanza.attr('type');
            if (isSubscriptionType(type)) await outboundSubscription(key, state, stanza, type, origin);
            else if (stanza.attr('to') === undefined) await ownPresence(key, state, stanza, origin);
            else await directedPresence(stanza);
            return;
          }
          case 'presence-in': {
            const type = msg.stanza.attr('type');
            if (isSubscriptionType(type)) await inboundSubscription(key, state, msg.stanza, type);
            return;
          }
          case 'resource-gone':
            await resourceGone(key, state, msg.jid, msg.conn, msg.available);
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


