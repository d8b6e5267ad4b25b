// RFC 6121 §2: the roster item XML, and validation of a roster set.
import { NS, type StanzaErrorCondition } from '@parley/stanza';
import type { RosterItem } from '@parley/store';
import { tryParseJid } from '@parley/jid';
import { type Element, xml } from '@parley/xml';

export function itemElement(item: RosterItem | { contact: string; remove: true }): Element {
  if ('remove' in item) return xml('item', { jid: item.contact, subscription: 'remove' });
  return xml(
    'item',
    {
      jid: item.contact,
      name: item.name ?? undefined,
      subscription: item.subscription,
      // RFC 6121 §2.1.2.2: ask="subscribe" marks pending-out; §2.1.2.1 approved="true" a pre-approval.
      ask: item.ask ?? undefined,
      approved: item.approved ? 'true' : undefined,
    },
    ...item.groups.map((g) => xml('group', null, g)),
  );
}

export type RosterSet =
  | { kind: 'remove'; contact: string }
  | { kind: 'update'; contact: string; name: string | null; groups: string[] }
  | { kind: 'error'; condition: StanzaErrorCondition; text: string };

/** Validate a roster set (RFC 6121 §2.3.3 / §2.5.3). */
export function parseRosterSet(query: Element, owner: string): RosterSet {
  const items = query.getChildren('item');
  if (items.length !== 1) return { kind: 'error', condition: 'bad-request', text: 'a roster set must contain exactly one item' };
  const item = items[0]!;
  const jid = tryParseJid(item.attr('jid') ?? '');
  if (!jid) return { kind: 'error', condition: 'jid-malformed', text: 'the item JID is not valid' };
  if (jid.resource) return { kind: 'error', condition: 'bad-request', text: 'roster items are bare JIDs' };
  const contact = jid.toString();
  if (contact === owner) return { kind: 'error', condition: 'not-allowed', text: 'you cannot add yourself' };
  if (item.attr('subscription') === 'remove') return { kind: 'remove', contact };
  const groups = item.getChildren('group').map((g) => g.text());
  if (groups.some((g) => g.trim() === '')) return { kind: 'error', condition: 'not-acceptable', text: 'empty group name' };
  if (new Set(groups).size !== groups.length) return { kind: 'error', condition: 'bad-request', text: 'duplicate group' };
  const name = item.attr('name') ?? null;
  // Server limits on sizes (RFC 6121 §2.3.3 allows not-acceptable for names too long).
  if ((name?.length ?? 0) > 1023 || groups.some((g) => g.length > 1023) || groups.length > 100) {
    return { kind: 'error', condition: 'not-acceptable', text: 'name or group too long' };
  }
  return { kind: 'update', contact, name, groups };
}

export function rosterQuery(version: number, items: Element[]): Element {
  return xml('query', { xmlns: NS.roster, ver: String(version) }, ...items);
}
