// XEP-0030 service discovery is computed from the loaded modules: each declares the features and
// identities it adds, and to which addressee.
import { xml, type Element } from '@parley/xml';

/** The domain; the asker's own bare JID; another account's bare JID. */
export type DiscoTarget = 'server' | 'own-account' | 'account';

export interface DiscoContribution {
  on: DiscoTarget[];
  features?: string[];
  identity?: { category: string; type: string; name?: string };
  /** An entity the server lists in its disco#items (XEP-0030 §4), e.g. the chatroom service. */
  item?: { jid: string; name?: string };
}

export interface DiscoInfo {
  features: string[];
  identities: Element[];
  /** `<item/>` elements for disco#items. */
  items: Element[];
}

export function discoIndex(contributions: DiscoContribution[]): (target: DiscoTarget) => DiscoInfo {
  const byTarget = new Map<DiscoTarget, { features: Set<string>; identities: Element[]; items: Element[] }>();
  for (const t of ['server', 'own-account', 'account'] as const) byTarget.set(t, { features: new Set(), identities: [], items: [] });
  for (const c of contributions) {
    for (const t of c.on) {
      const slot = byTarget.get(t)!;
      for (const f of c.features ?? []) slot.features.add(f);
      if (c.identity) slot.identities.push(xml('identity', { category: c.identity.category, type: c.identity.type, name: c.identity.name }));
      if (c.item) slot.items.push(xml('item', { jid: c.item.jid, name: c.item.name }));
    }
  }
  const frozen = new Map([...byTarget].map(([t, v]) => [t, { features: [...v.features].sort(), identities: v.identities, items: v.items }]));
  return (target) => {
    const v = frozen.get(target)!;
    return { features: v.features, identities: v.identities.map((e) => e.clone()), items: v.items.map((e) => e.clone()) };
  };
}
