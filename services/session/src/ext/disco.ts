import { NS } from '@parley/stanza';
import { xml } from '@parley/xml';
import type { IqExtension } from './types.ts';

/** XEP-0030 §3.1: the server's identity and features; an account's identity (§3.1, account/registered). */
export const discoInfo: IqExtension = {
  scope: ['server', 'account'],
  type: 'get',
  name: 'query',
  xmlns: NS.discoInfo,
  features: [NS.discoInfo],
  handle: (ctx) => {
    // Nodes are not supported yet: XEP-0030 §3.1 item-not-found for an unknown node.
    if (ctx.payload.attr('node')) return { error: 'item-not-found' };
    const toServer = ctx.to.local === null;
    const identity = toServer ? xml('identity', { category: 'server', type: 'im', name: 'Parley' }) : xml('identity', { category: 'account', type: 'registered' });
    const scope = toServer || ctx.to.equals(ctx.from.bare) ? 'server' : 'account';
    const features = toServer ? ctx.features('server') : ctx.features(scope).filter((f) => f !== NS.ping && f !== NS.version);
    return {
      result: [xml('query', { xmlns: NS.discoInfo }, identity, ...[...new Set(features)].sort().map((f) => xml('feature', { var: f })))],
    };
  },
};

/** XEP-0030 §4: no items (components, rooms) are published yet. */
export const discoItems: IqExtension = {
  scope: ['server', 'account'],
  type: 'get',
  name: 'query',
  xmlns: NS.discoItems,
  features: [NS.discoItems],
  handle: (ctx) => (ctx.payload.attr('node') ? { error: 'item-not-found' } : { result: [xml('query', { xmlns: NS.discoItems })] }),
};
