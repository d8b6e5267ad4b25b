// Enforcement of the privacy state kept by the blocking (XEP-0191), privacy list (XEP-0016) and
// invisibility (XEP-0186) modules, for online and offline accounts alike: one module at the
// actors' hook points, reading the policies from the store on every stanza (so an offline
// account's lists protect it, and the work done does not depend on whether anyone is online).
import { type ChatroomRecipient, type ExtensionModule, HANDLED, type InboundStanza, PASS, type PresenceDelivery, type Reachable, type RoomDelivery, reach, refuse } from '@parley/ext';
import { bareOf } from '@parley/jid';
import type { ResourceEntry } from '@parley/location';
import type { PrivacyPolicy, Store } from '@parley/store';
import type { Origin } from '@parley/wire';
import { blockedCondition, effectiveList, invisibleTo, isLocalJid, rosterLookup, sessionOf, shows } from './policy.ts';
import { allows } from './rules.ts';

/**
 * A message or IQ to the account. Outbound first: the sender's own lists may forbid it
 * (XEP-0191 §3.3, XEP-0016 §2.14: not-acceptable). Then inbound: sessions hidden from the sender
 * count as offline; the others apply their lists; with none left, the default list decides.
 * Blocked messages and IQ get/set are answered service-unavailable, as for an offline account
 * that cannot take them; other IQs and errors are dropped (the error reply is never sent for them).
 */
async function recipients(s: Reachable) {
  const { env, key, stanza } = s;
  const from = stanza.attr('from');
  if (!from || bareOf(from) === key) return reach(s.resources); // own resources are never blocked (§2.1 note)
  const sender = bareOf(from);
  const local = isLocalJid(sender, env.domain);
  const policies = await env.store.privacy.policies(local ? [key, sender] : [key]);
  const out = policies.get(sender);
  if (out && !(await sendable(env.store, out, sender, s.origin, stanza.attr('to') ?? key))) return refuse('not-acceptable', undefined, blockedCondition());
  const policy = policies.get(key)!;
  const traffic = stanza.name === 'message' ? 'message' : 'iq';
  const roster = rosterLookup(env.store, key, from);
  const visible: ResourceEntry[] = [];
  for (const r of s.resources) {
    const session = policy.sessions.get(r.conn);
    // An invisible session is skipped without an await: to a stranger it then costs what an absent one
    // does (loadtest/bench/privacy-timing.ts measured the awaited check, ≈2 µs, docs/privacy.md).
    if (invisibleTo(session, from)) continue;
    if (await allows(effectiveList(policy, session), 'presence-out', from, roster)) visible.push(r);
  }
  if (visible.length === 0) return (await allows(policy.defaultList, traffic, from, roster)) ? reach([]) : refuse('service-unavailable');
  const allowed: ResourceEntry[] = [];
  for (const r of visible) if (await allows(effectiveList(policy, policy.sessions.get(r.conn)), traffic, from, roster)) allowed.push(r);
  return allowed.length > 0 ? reach(allowed) : refuse('service-unavailable');
}

/** Whether the sender's own list (her session's active one, else her default one) lets her send to `to`. */
function sendable(store: Store, policy: PrivacyPolicy, sender: string, origin: Origin | undefined, to: string): Promise<boolean> {
  const list = effectiveList(policy, origin ? policy.sessions.get(origin.conn) : undefined);
  return allows(list, 'other-out', to, rosterLookup(store, sender, to));
}

/**
 * A message or IQ from the account to another domain (the sender's own actor): refused as to a
 * local blocked JID (XEP-0191 §3.3, XEP-0016 §2.14). The remote recipient's lists are its server's.
 */
async function remoteOutbound({ env, key, stanza, origin }: InboundStanza) {
  const to = stanza.attr('to') ?? '';
  const policy = (await env.store.privacy.policies([key])).get(key)!;
  return (await sendable(env.store, policy, key, origin, to)) ? PASS : refuse('not-acceptable', undefined, blockedCondition());
}

/**
 * Presence on its way to resources: the publisher's presence-out (and invisibility) for
 * notifications, each recipient session's presence-in, or for subscription stanzas its
 * all-stanza items (XEP-0016 §2.9-2.10, §2.13). Blocked presence is dropped without an answer.
 */
async function deliver(d: PresenceDelivery): Promise<ResourceEntry[]> {
  const { env, from } = d;
  const publisher = bareOf(from);
  const owners = new Set(d.targets.map((t) => bareOf(t.jid)).filter((b) => b !== publisher));
  if (owners.size === 0) return d.targets;
  const pubLocal = isLocalJid(publisher, env.domain);
  if (pubLocal) owners.add(publisher);
  const policies = await env.store.privacy.policies([...owners]);
  const pub = policies.get(publisher);
  // Only a publisher with per-connection privacy state needs its connection looked up (one location read per broadcast otherwise).
  const pubSession = pub && pub.sessions.size > 0 && d.kind === 'notification' ? sessionOf(pub, (await env.location.resources(publisher)).find((r) => r.jid === from), from) : undefined;
  const kept: ResourceEntry[] = [];
  for (const t of d.targets) {
    const owner = bareOf(t.jid);
    if (owner === publisher) {
      kept.push(t);
      continue;
    }
    if (pub && d.kind === 'notification' && !(await shows(pub, pubSession, t.jid, rosterLookup(env.store, publisher, t.jid)))) continue;
    const theirs = policies.get(owner)!;
    const list = effectiveList(theirs, theirs.sessions.get(t.conn));
    if (await allows(list, d.kind === 'notification' ? 'presence-in' : 'other-in', from, rosterLookup(env.store, owner, from))) kept.push(t);
  }
  return kept;
}

/** Room messages to occupants (the chatroom service): each occupant session's list decides, as for any inbound message. */
async function roomDeliver(d: RoomDelivery): Promise<ChatroomRecipient[]> {
  const owners = [...new Set(d.targets.map((t) => bareOf(t.jid)))];
  const policies = await d.env.store.privacy.policies(owners);
  const kept: ChatroomRecipient[] = [];
  for (const t of d.targets) {
    const owner = bareOf(t.jid);
    const policy = policies.get(owner);
    if (!policy) {
      kept.push(t);
      continue;
    }
    const list = effectiveList(policy, policy.sessions.get(t.conn));
    if (await allows(list, d.kind === 'message' ? 'message' : 'presence-in', d.from, rosterLookup(d.env.store, owner, d.from))) kept.push(t);
  }
  return kept;
}

export const privacyEnforcement: ExtensionModule = {
  name: 'privacy',
  specs: ['XEP-0016 §2.2', 'XEP-0016 §2.14', 'XEP-0191 §3.3', 'XEP-0186 §3.1.1'],
  storage: ['privacy_lists', 'privacy_defaults', 'privacy_sessions'],
  session: { recipients, remoteOutbound },
  chatroom: { deliver: roomDeliver },
  presence: {
    deliver,
    /** Subscription stanzas and directed presence the account sends: refused when its lists block the addressee. */
    async outbound({ env, key, stanza, origin }) {
      const to = stanza.attr('to') ?? key;
      if (bareOf(to) === key) return PASS;
      const policy = (await env.store.privacy.policies([key])).get(key)!;
      return (await sendable(env.store, policy, key, origin, to)) ? PASS : refuse('not-acceptable', undefined, blockedCondition());
    },
    /** Subscription stanzas from a blocked entity are dropped: no answer, no error (XEP-0191 §3.3). */
    async inbound({ env, key, stanza }) {
      const from = stanza.attr('from') ?? '';
      const policy = (await env.store.privacy.policies([key])).get(key)!;
      return (await allows(policy.defaultList, 'other-in', from, rosterLookup(env.store, key, from))) ? PASS : HANDLED;
    },
    async resourceGone({ env, key, conn }) {
      await env.store.privacy.dropSession(key, conn);
    },
  },
};
