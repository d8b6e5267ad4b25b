// RFC 6121 §3 and Appendix A: the subscription state machine as pure functions over a roster
// item. Each returns the new item (or null when nothing changes) and what must happen next.
import { NS } from '@parley/stanza';
import type { RosterItem } from '@parley/store';
import { xml } from '@parley/xml';

export type SubscriptionType = 'subscribe' | 'subscribed' | 'unsubscribe' | 'unsubscribed';

export function isSubscriptionType(t: string | undefined): t is SubscriptionType {
  return t === 'subscribe' || t === 'subscribed' || t === 'unsubscribe' || t === 'unsubscribed';
}

/** §3.1.2: subscription stanzas travel between bare JIDs. */
export function subscriptionStanza(type: SubscriptionType, from: string, to: string) {
  return xml('presence', { xmlns: NS.client, type, from, to });
}

export function emptyItem(contact: string): RosterItem {
  return { contact, name: null, subscription: 'none', ask: null, pendingIn: false, approved: false, groups: [] };
}

const hasTo = (i: RosterItem) => i.subscription === 'to' || i.subscription === 'both';
const hasFrom = (i: RosterItem) => i.subscription === 'from' || i.subscription === 'both';

export interface OutboundEffect {
  item: RosterItem | null; // new state to store and push, null = unchanged
  forward: boolean; // send the stanza on to the contact
  sendPresence: boolean; // after approving: send our current presence to the contact (§3.1.5)
  sendUnavailable: boolean; // after cancelling: send unavailable to the contact (§3.2.3)
}

/** The user sends a subscription stanza to a contact (outbound processing at the user's server). */
export function outbound(type: SubscriptionType, current: RosterItem | null, contact: string): OutboundEffect {
  const item = current ?? emptyItem(contact);
  const shown = (i: RosterItem): RosterItem => ({ ...i, hidden: false });
  switch (type) {
    case 'subscribe': {
      // §3.1.2: record the pending-out state unless already subscribed.
      if (hasTo(item)) return { item: null, forward: true, sendPresence: false, sendUnavailable: false };
      const next = shown({ ...item, ask: 'subscribe' as const });
      return { item: same(item, next) && current && !current.hidden ? null : next, forward: true, sendPresence: false, sendUnavailable: false };
    }
    case 'subscribed': {
      if (hasFrom(item)) return { item: null, forward: false, sendPresence: false, sendUnavailable: false };
      if (!item.pendingIn) {
        // §3.4 pre-approval: remembered, nothing sent.
        if (item.approved) return { item: null, forward: false, sendPresence: false, sendUnavailable: false };
        return { item: shown({ ...item, approved: true }), forward: false, sendPresence: false, sendUnavailable: false };
      }
      const next: RosterItem = shown({ ...item, pendingIn: false, approved: false, subscription: item.subscription === 'to' ? 'both' : 'from' });
      return { item: next, forward: true, sendPresence: true, sendUnavailable: false };
    }
    case 'unsubscribe': {
      // §3.3.2
      if (!hasTo(item) && item.ask === null) return { item: null, forward: true, sendPresence: false, sendUnavailable: false };
      const next: RosterItem = { ...item, ask: null, subscription: item.subscription === 'both' ? 'from' : item.subscription === 'to' ? 'none' : item.subscription };
      return { item: current ? next : null, forward: true, sendPresence: false, sendUnavailable: false };
    }
    case 'unsubscribed': {
      // §3.2.2: the publisher cancels (or denies) the contact's subscription.
      if (!hasFrom(item) && !item.pendingIn && !item.approved) return { item: null, forward: true, sendPresence: false, sendUnavailable: false };
      const wasFrom = hasFrom(item);
      const next: RosterItem = {
        ...item,
        pendingIn: false,
        approved: false,
        subscription: item.subscription === 'both' ? 'to' : item.subscription === 'from' ? 'none' : item.subscription,
      };
      return { item: current ? next : null, forward: true, sendPresence: false, sendUnavailable: wasFrom };
    }
  }
}

export interface InboundEffect {
  item: RosterItem | null; // new state to store (and push if visible), null = unchanged
  deliver: boolean; // deliver the stanza to the user's resources
  autoReply: 'subscribed' | null; // answer on the user's behalf
  sendPresence: boolean; // send the user's presence to the contact (auto-approved subscription)
}

/** A contact's subscription stanza arrives for the user (inbound processing at the user's server). */
export function inbound(type: SubscriptionType, current: RosterItem | null, contact: string): InboundEffect {
  const item = current ?? emptyItem(contact);
  switch (type) {
    case 'subscribe': {
      // §3.1.3: already approved → answer subscribed without bothering the user.
      if (hasFrom(item)) return { item: null, deliver: false, autoReply: 'subscribed', sendPresence: false };
      if (item.approved) {
        const next: RosterItem = { ...item, approved: false, subscription: item.subscription === 'to' ? 'both' : 'from' };
        return { item: next, deliver: false, autoReply: 'subscribed', sendPresence: true };
      }
      return { item: item.pendingIn ? null : { ...item, pendingIn: true, hidden: current ? current.hidden : true }, deliver: true, autoReply: null, sendPresence: false };
    }
    case 'subscribed': {
      // §3.1.6: only honoured when we asked.
      if (item.ask !== 'subscribe') return { item: null, deliver: false, autoReply: null, sendPresence: false };
      const next: RosterItem = { ...item, ask: null, subscription: item.subscription === 'from' ? 'both' : 'to' };
      return { item: next, deliver: true, autoReply: null, sendPresence: false };
    }
    case 'unsubscribe': {
      // §3.3.3
      if (!hasFrom(item) && !item.pendingIn) return { item: null, deliver: false, autoReply: null, sendPresence: false };
      const next: RosterItem = {
        ...item,
        pendingIn: false,
        subscription: item.subscription === 'both' ? 'to' : item.subscription === 'from' ? 'none' : item.subscription,
      };
      return { item: next, deliver: true, autoReply: null, sendPresence: false };
    }
    case 'unsubscribed': {
      // §3.2.3
      if (!hasTo(item) && item.ask === null) return { item: null, deliver: false, autoReply: null, sendPresence: false };
      const next: RosterItem = {
        ...item,
        ask: null,
        subscription: item.subscription === 'both' ? 'from' : item.subscription === 'to' ? 'none' : item.subscription,
      };
      return { item: next, deliver: true, autoReply: null, sendPresence: false };
    }
  }
}

/** RFC 6121 §3.1.3: an item that only records an incoming request is not in the visible roster. */
export function isVisible(item: RosterItem): boolean {
  return item.hidden !== true;
}

function same(a: RosterItem, b: RosterItem): boolean {
  return a.subscription === b.subscription && a.ask === b.ask && a.pendingIn === b.pendingIn && a.approved === b.approved;
}
