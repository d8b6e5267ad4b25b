// Service discovery of an account's PEP service: disco#items of the bare JID lists its nodes
// (XEP-0060 §5.2), disco#items of a node its items (§5.5), disco#info of a node says it is a leaf
// node (§5.3). Each answers only what the requester may retrieve under the node's access model
// (§4.5, XEP-0163 §5): a stranger does not learn that a presence, roster or whitelist node exists.
import type { DiscoNodeProvider, SessionIqRequest } from '@parley/ext';
import type { PepNode, RosterItem } from '@parley/store';
import { xml } from '@parley/xml';
import { denial } from './access.ts';
import { fromStored } from './config.ts';
import { NS_PUBSUB } from './ns.ts';

/** Whether the requester may see a node: the access check of item retrieval (XEP-0060 §6.5). */
function readable(owner: string, requester: string, item: RosterItem | null, node: PepNode): boolean {
  const config = fromStored(node.config, node.node);
  return denial({ owner, requester, item, affiliations: node.affiliations, model: config.access_model, rosterGroups: config.roster_groups_allowed }) === null;
}

/** The node if it exists and the requester may see it; null otherwise (both answer item-not-found). */
async function visibleNode(ctx: SessionIqRequest, name: string): Promise<PepNode | null> {
  const owner = ctx.to.bareString();
  const requester = ctx.from.bareString();
  const node = await ctx.env.store.pep.getNode(owner, name);
  if (!node) return null;
  const item = requester === owner ? null : await ctx.env.store.roster.getItem(owner, requester);
  return readable(owner, requester, item, node) ? node : null;
}

export const pepDiscoNodes: DiscoNodeProvider = {
  async items(ctx, name) {
    // Accounts only: the domain offers no pubsub service (XEP-0163 §3).
    if (ctx.to.local === null) return undefined;
    const owner = ctx.to.bareString();
    if (name === undefined) {
      const requester = ctx.from.bareString();
      const nodes = await ctx.env.store.pep.listNodes(owner);
      if (nodes.length === 0) return [];
      const item = requester === owner ? null : await ctx.env.store.roster.getItem(owner, requester);
      return nodes.filter((n) => readable(owner, requester, item, n)).map((n) => xml('item', { jid: owner, node: n.node }));
    }
    const node = await visibleNode(ctx, name);
    if (!node) return undefined;
    // §5.5: each item as the service's JID with the item id as its name.
    const items = await ctx.env.store.pep.items(owner, node.node);
    return items.map((i) => xml('item', { jid: owner, name: i.id }));
  },
  async info(ctx, name) {
    if (name === undefined || ctx.to.local === null) return undefined;
    const node = await visibleNode(ctx, name);
    if (!node) return undefined;
    return [xml('identity', { category: 'pubsub', type: 'leaf' }), xml('feature', { var: NS_PUBSUB })];
  },
};
