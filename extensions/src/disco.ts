import type { DiscoTarget, ExtensionModule, SessionIqRequest } from '@parley/ext';
import { NS } from '@parley/stanza';
import { xml } from '@parley/xml';

const target = (ctx: SessionIqRequest): DiscoTarget => (ctx.to.local === null ? 'server' : ctx.to.equals(ctx.from.bare) ? 'own-account' : 'account');

/**
 * XEP-0030 service discovery: the server's identity and features (§3.1), an account's identity
 * (account/registered), computed from the modules that are loaded. Items are the entities modules declare (§4).
 */
export const disco: ExtensionModule = {
  name: 'disco',
  specs: ['XEP-0030'],
  disco: [
    { on: ['server', 'own-account', 'account'], features: [NS.discoInfo, NS.discoItems] },
    { on: ['server'], identity: { category: 'server', type: 'im', name: 'Parley' } },
    { on: ['own-account', 'account'], identity: { category: 'account', type: 'registered' } },
  ],
  session: {
    iq: [
      {
        scope: ['server', 'account'],
        type: 'get',
        name: 'query',
        xmlns: NS.discoInfo,
        handle: (ctx) => {
          // Nodes are not supported yet: §3.1 item-not-found for an unknown node.
          if (ctx.payload.attr('node')) return { error: 'item-not-found' };
          const info = ctx.disco(target(ctx));
          return { result: [xml('query', { xmlns: NS.discoInfo }, ...info.identities, ...info.features.map((f) => xml('feature', { var: f })))] };
        },
      },
      {
        scope: ['server', 'account'],
        type: 'get',
        name: 'query',
        xmlns: NS.discoItems,
        // §4: the server lists the entities modules declare (the chatroom service); accounts have none.
        handle: (ctx) =>
          ctx.payload.attr('node') ? { error: 'item-not-found' } : { result: [xml('query', { xmlns: NS.discoItems }, ...(target(ctx) === 'server' ? ctx.disco('server').items : []))] },
      },
    ],
  },
};
