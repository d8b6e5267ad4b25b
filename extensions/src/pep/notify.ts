// Who hears about a node (XEP-0163 §4.3): the owner's own resources and its contacts with a
// presence subscription whose entity capabilities say +notify for the node (XEP-0163 §4.2), plus
// explicit subscribers (XEP-0060 §6.1), each only if the node's access model lets them in. And the
// last item for a resource that just became available (XEP-0163 §4.3.3, XEP-0060 §7.1.2).
import { bareOf } from '@parley/jid';
import type { LocationService, ResourceEntry } from '@parley/location';
import { NS } from '@parley/stanza';
import type { PepItem, PepNode, RosterItem, Store } from '@parley/store';
import { type Element, parseFragment, xml } from '@parley/xml';
import { effectiveList, rosterLookup } from '../privacy/policy.ts';
import { allows } from '../privacy/rules.ts';
import { denial } from './access.ts';
import { type CapsCache, capsOfSerialized } from './caps.ts';
import { fromStored } from './config.ts';
import { NS_PUBSUB_EVENT } from './ns.ts';

/** What delivering notifications needs; both actors can provide it. */
export interface Notifier {
  domain: string;
  location: LocationService;
  store: Store;
  caps: CapsCache;
  /** Deliver to resources, each stamped with its full JID as `to`. */
  send(recipients: ResourceEntry[], stanzaXml: string): void | Promise<void>;
}

const hasFrom = (i: RosterItem | undefined) => i?.subscription === 'from' || i?.subscription === 'both';
const hasTo = (i: RosterItem) => i.subscription === 'to' || i.subscription === 'both';

/** The payload of a stored item, as an element to put in a notification. */
export function payloadOf(item: PepItem): Element | null {
  try {
    return parseFragment(item.payload);
  } catch {
    return null;
  }
}

/** XEP-0060 §7.1.2.1: a headline message from the owner's bare JID carrying the event. */
export function eventMessage(owner: string, event: Element, extra: Element[] = []): string {
  return xml('message', { xmlns: NS.client, from: owner, type: 'headline', id: `pep-${Math.random().toString(36).slice(2, 12)}` }, xml('event', { xmlns: NS_PUBSUB_EVENT }, event), ...extra).toString();
}

export function itemsEvent(node: string, items: PepItem[], payloads: boolean): Element {
  return xml(
    'items',
    { node },
    ...items.map((i) => xml('item', { id: i.id, publisher: i.publisher }, payloads ? (payloadOf(i) ?? undefined) : undefined)),
  );
}

async function featuresOf(n: Notifier, r: ResourceEntry): Promise<string[] | null> {
  const caps = capsOfSerialized(r.presence);
  return caps ? n.caps.features(n.store.pep, caps) : null;
}

/**
 * The available resources that should get an event of `node`: `roster` is the owner's (the actor's
 * memory, or the store when called elsewhere).
 */
export async function interested(n: Notifier, owner: string, node: PepNode, roster: RosterItem[]): Promise<ResourceEntry[]> {
  const config = fromStored(node.config, node.node);
  if (!config.deliver_notifications) return [];
  const items = new Map(roster.map((i) => [i.contact, i]));
  const explicit = new Set(await n.store.pep.subscribers(owner, node.node));
  const local = (b: string) => b.endsWith(`@${n.domain}`);
  const bares = [...new Set([owner, ...roster.filter((i) => hasFrom(i)).map((i) => i.contact), ...[...explicit].map(bareOf)])].filter(local);
  const where = await n.location.resourcesOf(bares);
  const out: ResourceEntry[] = [];
  for (const [bare, resources] of where) {
    const item = items.get(bare);
    const facts = { owner, requester: bare, item, affiliations: node.affiliations, model: config.access_model, rosterGroups: config.roster_groups_allowed };
    if (denial(facts)) continue;
    for (const r of resources) {
      if (!r.available) continue;
      if (explicit.has(r.jid) || explicit.has(bare)) out.push(r);
      // XEP-0163 §4.3.1-4.3.2: implicit interest of the owner and of presence subscribers.
      else if ((bare === owner || hasFrom(item)) && (await featuresOf(n, r))?.includes(`${node.node}+notify`)) out.push(r);
    }
  }
  return privacyAllowed(n, owner, out);
}

/**
 * Privacy (XEP-0016, XEP-0191 blocking) applies to events as to any message: the owner's list must
 * let it out to the recipient, the recipient's list (its session's active one, else its default) in.
 */
export async function privacyAllowed(n: Notifier, owner: string, targets: ResourceEntry[]): Promise<ResourceEntry[]> {
  const others = targets.filter((r) => bareOf(r.jid) !== owner);
  if (others.length === 0) return targets;
  const policies = await n.store.privacy.policies([owner, ...new Set(others.map((r) => bareOf(r.jid)))]);
  const ours = effectiveList(policies.get(owner) ?? { defaultList: null, sessions: new Map() }, undefined);
  const out: ResourceEntry[] = [];
  for (const r of targets) {
    const peer = bareOf(r.jid);
    if (peer === owner) {
      out.push(r);
      continue;
    }
    const theirs = policies.get(peer);
    if (!(await allows(ours, 'other-out', r.jid, rosterLookup(n.store, owner, r.jid)))) continue;
    if (theirs && !(await allows(effectiveList(theirs, theirs.sessions.get(r.conn)), 'message', owner, rosterLookup(n.store, peer, owner)))) continue;
    out.push(r);
  }
  return out;
}

export async function notify(n: Notifier, owner: string, node: PepNode, roster: RosterItem[], event: Element): Promise<void> {
  const to = await interested(n, owner, node, roster);
  if (to.length) await n.send(to, eventMessage(owner, event));
}

/**
 * XEP-0163 §4.3.3: a resource of `account` just became available with these features: the last
 * item of each node it has +notify for, of the account itself and of each contact whose presence
 * it receives, where the access model allows.
 */
export async function sendLastItems(n: Notifier, account: string, target: ResourceEntry, features: string[], only?: string[]): Promise<void> {
  const wanted = new Set(features.filter((f) => f.endsWith('+notify')).map((f) => f.slice(0, -'+notify'.length)));
  if (wanted.size === 0) return;
  const contacts = only ?? [account, ...(await n.store.roster.get(account)).items.filter(hasTo).map((i) => i.contact)];
  const owners = contacts.filter((b) => b.endsWith(`@${n.domain}`));
  for (const owner of owners) {
    const nodes = (await n.store.pep.listNodes(owner)).filter((node) => wanted.has(node.node));
    if (nodes.length === 0 || (await privacyAllowed(n, owner, [target])).length === 0) continue;
    const item = owner === account ? null : await n.store.roster.getItem(owner, account);
    for (const node of nodes) {
      const config = fromStored(node.config, node.node);
      if (config.send_last_published_item !== 'on_sub_and_presence' || !config.deliver_notifications) continue;
      if (denial({ owner, requester: account, item, affiliations: node.affiliations, model: config.access_model, rosterGroups: config.roster_groups_allowed })) continue;
      const [last] = await n.store.pep.items(owner, node.node, { max: 1 });
      if (!last) continue;
      // XEP-0060 §12.8: a delayed-delivery stamp says when it was published.
      const delay = xml('delay', { xmlns: NS.delay, stamp: last.publishedAt.toISOString(), from: owner });
      await n.send([target], eventMessage(owner, itemsEvent(node.node, [last], config.deliver_payloads), [delay]));
    }
  }
}
