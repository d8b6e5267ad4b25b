// Which list applies to a stanza and whether a connection is hidden from a peer: XEP-0016 §2.2
// (an active list replaces the default one for its session), XEP-0186 §3.1.1 (an invisible
// session shows itself only to those it sent directed presence to).
import { bareOf } from '@parley/jid';
import type { ResourceEntry } from '@parley/location';
import type { PrivacyList, PrivacyPolicy, PrivacySession, Store } from '@parley/store';
import { xml } from '@parley/xml';
import { allows, jidMatches, lazyRoster, type RosterLookup } from './rules.ts';

export const NS_BLOCKING = 'urn:xmpp:blocking';
/** XEP-0191 §3.3: the application-specific condition of an outbound stanza to a blocked JID. */
export const blockedCondition = () => xml('blocked', { xmlns: 'urn:xmpp:blocking:errors' });

export const isLocalJid = (jid: string, domain: string) => bareOf(jid).endsWith(`@${domain}`);

/** §2.2 rules 1-2: the session's active list, else the default list. */
export function effectiveList(policy: PrivacyPolicy, session: PrivacySession | undefined): PrivacyList | null {
  return session?.active ?? policy.defaultList;
}

/** The owner's roster item for a peer, read from the store only when a rule needs it. */
export const rosterLookup = (store: Store, owner: string, peer: string): RosterLookup => lazyRoster(() => store.roster.getItem(owner, bareOf(peer)));

/** The privacy state of the connection behind a location entry (or, once the entry is gone, of its full JID). */
export function sessionOf(policy: PrivacyPolicy, entry: ResourceEntry | undefined, jid: string): PrivacySession | undefined {
  if (entry) return policy.sessions.get(entry.conn);
  for (const s of policy.sessions.values()) if (s.jid === jid) return s;
  return undefined;
}

/** Whether this session's presence may reach `peer`: not invisible to it, and presence-out allowed (XEP-0016 §2.10). */
export async function shows(policy: PrivacyPolicy, session: PrivacySession | undefined, peer: string, roster: RosterLookup): Promise<boolean> {
  if (invisibleTo(session, peer)) return false;
  return allows(effectiveList(policy, session), 'presence-out', peer, roster);
}

/** XEP-0186 §3.1.1: the session is invisible and did not show itself to `peer` (synchronous: see enforce.ts). */
export const invisibleTo = (session: PrivacySession | undefined, peer: string): boolean => session?.invisible === true && !session.allowed.some((a) => jidMatches(a, peer));
