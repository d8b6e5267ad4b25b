// XEP-0060 §4.5 access models of a PEP node (XEP-0163 §5: presence by default). The owner always
// has access; an outcast never does.
import type { PepAffiliation, RosterItem } from '@parley/store';
import { xml, type Element } from '@parley/xml';
import type { AccessModel } from './config.ts';
import { NS_PUBSUB_ERRORS } from './ns.ts';

export interface AccessFacts {
  owner: string;
  /** Bare JID of who wants the items or notifications. */
  requester: string;
  /** The owner's roster item for the requester, if any. */
  item: RosterItem | null | undefined;
  affiliations: Record<string, PepAffiliation>;
  model: AccessModel;
  rosterGroups: string[];
}

export type AccessDenial = { error: 'not-authorized' | 'not-allowed' | 'forbidden'; appCondition: Element };

const hasFrom = (i: RosterItem | null | undefined) => i?.subscription === 'from' || i?.subscription === 'both';

/** null when allowed, else the error XEP-0060 §6.5.9 names for the model. */
export function denial(f: AccessFacts): AccessDenial | null {
  if (f.requester === f.owner) return null;
  const aff = f.affiliations[f.requester];
  if (aff === 'outcast') return { error: 'forbidden', appCondition: xml('blocked', { xmlns: NS_PUBSUB_ERRORS }) };
  switch (f.model) {
    case 'open':
      return null;
    case 'presence':
      // §6.5.9.? presence subscription required: the requester must see the owner's presence.
      return hasFrom(f.item) ? null : { error: 'not-authorized', appCondition: xml('presence-subscription-required', { xmlns: NS_PUBSUB_ERRORS }) };
    case 'roster':
      return f.item && !f.item.hidden && f.item.groups.some((g) => f.rosterGroups.includes(g))
        ? null
        : { error: 'not-authorized', appCondition: xml('not-in-roster-group', { xmlns: NS_PUBSUB_ERRORS }) };
    case 'whitelist':
      return aff === 'member' || aff === 'publisher' ? null : { error: 'not-allowed', appCondition: xml('closed-node', { xmlns: NS_PUBSUB_ERRORS }) };
  }
}
