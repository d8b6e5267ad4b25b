// XEP-0016 §2: privacy list items as pure functions. Which items match a peer (by JID, roster
// group or subscription) and a kind of stanza, and what the first matching item says.
import { tryParseJid } from '@parley/jid';
import type { PrivacyItem, PrivacyList, RosterItem } from '@parley/store';

/**
 * What is being decided: an inbound message or IQ, inbound or outbound presence notifications
 * (§2.1), other inbound stanzas (subscription requests) and anything the owner sends out; the
 * last two are matched only by items naming no stanza kind ("all communication", §2.13).
 */
export type Traffic = 'message' | 'iq' | 'presence-in' | 'presence-out' | 'other-in' | 'other-out';

/** The owner's roster item for the peer's bare JID, fetched only when a group or subscription item needs it. */
export type RosterLookup = () => Promise<RosterItem | null>;

/**
 * §2.1 JID matching: user@domain/resource matches only that resource; user@domain any resource;
 * domain/resource only that resource of the domain itself; domain the domain, its users and its
 * subdomains. `peer` is a prepared JID string.
 */
export function jidMatches(value: string, peer: string): boolean {
  const v = tryParseJid(value);
  const p = tryParseJid(peer);
  if (!v || !p) return false;
  if (v.local !== null) return v.resource !== null ? v.equals(p) : v.equals(p.bare);
  if (v.resource !== null) return p.local === null && p.domain === v.domain && p.resource === v.resource;
  return p.domain === v.domain || p.domain.endsWith(`.${v.domain}`);
}

function kindMatches(item: PrivacyItem, traffic: Traffic): boolean {
  if (item.stanzas.length === 0) return true;
  return traffic !== 'other-in' && traffic !== 'other-out' && item.stanzas.includes(traffic);
}

async function peerMatches(item: PrivacyItem, peer: string, roster: RosterLookup): Promise<boolean> {
  if (item.type === null) return true; // the fall-through item
  if (item.type === 'jid') return jidMatches(item.value ?? '', peer);
  const r = await roster();
  // "none" includes entities that are not in the roster at all.
  if (item.type === 'subscription') return (r?.subscription ?? 'none') === item.value;
  return r !== null && r.hidden !== true && r.groups.includes(item.value ?? '');
}

/** §2.2 rules 5-7: items in ascending order, the first match decides, no match allows. */
export async function allows(list: PrivacyList | null, traffic: Traffic, peer: string, roster: RosterLookup): Promise<boolean> {
  if (!list) return true;
  for (const item of list.items) {
    if (kindMatches(item, traffic) && (await peerMatches(item, peer, roster))) return item.action === 'allow';
  }
  return true;
}

/** A roster lookup that asks the store at most once. */
export function lazyRoster(fetch: () => Promise<RosterItem | null>): RosterLookup {
  let p: Promise<RosterItem | null> | undefined;
  return () => {
    p ??= fetch();
    return p;
  };
}

/** XEP-0191 §3.3 as XEP-0016 items: a blocked JID is a jid item that denies every stanza. */
export const isBlockItem = (i: PrivacyItem): boolean => i.type === 'jid' && i.action === 'deny' && i.stanzas.length === 0;
