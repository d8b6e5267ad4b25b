// XEP-0016 §2.1 privacy lists on the wire: parsing a <list/> into stored items (with the errors
// §2.1 and §2.6 ask for) and writing items back.
import type { IqOutcome, RosterAccess } from '@parley/ext';
import { tryParseJid } from '@parley/jid';
import type { PrivacyItem, PrivacyList, PrivacyStanza } from '@parley/store';
import { type Element, xml } from '@parley/xml';

export const NS_PRIVACY = 'jabber:iq:privacy';

const STANZAS = new Set<PrivacyStanza>(['message', 'iq', 'presence-in', 'presence-out']);
const SUBSCRIPTIONS = new Set(['none', 'to', 'from', 'both']);
const MAX_ORDER = 4_294_967_295; // xs:unsignedInt

type Parsed<T> = T | Extract<IqOutcome, { error: unknown }>;
const bad = (text: string): Extract<IqOutcome, { error: unknown }> => ({ error: 'bad-request', text });

function parseItem(el: Element, roster: RosterAccess): Parsed<PrivacyItem> {
  const action = el.attr('action');
  if (action !== 'allow' && action !== 'deny') return bad('an item needs action allow or deny');
  const orderText = el.attr('order') ?? '';
  const order = /^\d{1,10}$/.test(orderText) ? Number(orderText) : Number.NaN;
  if (!(order <= MAX_ORDER)) return bad('an item needs an order that is a non-negative integer');
  const stanzas: PrivacyStanza[] = [];
  for (const c of el.getChildElements()) {
    if (!STANZAS.has(c.name as PrivacyStanza)) return bad(`unknown stanza kind ${c.name}`);
    stanzas.push(c.name as PrivacyStanza);
  }
  const type = el.attr('type');
  const value = el.attr('value');
  if (type === undefined) return { type: null, value: null, action, order, stanzas };
  if (value === undefined) return bad(`an item of type ${type} needs a value`);
  if (type === 'jid') {
    const jid = tryParseJid(value);
    return jid ? { type, value: jid.toString(), action, order, stanzas } : bad(`not a JID: ${value}`);
  }
  if (type === 'subscription') return SUBSCRIPTIONS.has(value) ? { type, value, action, order, stanzas } : bad('subscription must be none, to, from or both');
  if (type === 'group') {
    // §2.1: a group that is not in the user's roster is item-not-found.
    const known = roster.items().some((i) => i.hidden !== true && i.groups.includes(value));
    return known ? { type, value, action, order, stanzas } : { error: 'item-not-found', text: `no roster group ${value}` };
  }
  return bad(`unknown item type ${type}`);
}

/** A <list/> with its items; orders must be unique (§2.1). */
export function parseList(el: Element, roster: RosterAccess): Parsed<PrivacyList> {
  const name = el.attr('name');
  if (!name) return bad('a list needs a name');
  const items: PrivacyItem[] = [];
  for (const child of el.getChildElements()) {
    if (child.name !== 'item') return bad(`unexpected ${child.name} in a list`);
    const item = parseItem(child, roster);
    if ('error' in item) return item;
    if (items.some((i) => i.order === item.order)) return bad(`order ${item.order} is used twice`);
    items.push(item);
  }
  return { name, items: items.sort((a, b) => a.order - b.order) };
}

export function listElement(list: PrivacyList): Element {
  return xml(
    'list',
    { name: list.name },
    ...list.items.map((i) =>
      xml('item', { type: i.type ?? undefined, value: i.value ?? undefined, action: i.action, order: String(i.order) }, ...i.stanzas.map((s) => xml(s))),
    ),
  );
}
