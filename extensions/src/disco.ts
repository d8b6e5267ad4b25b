import type { DiscoTarget, ExtensionModule, SessionIqRequest } from '@parley/ext';
import { NS } from '@parley/stanza';
import { type Element, xml } from '@parley/xml';

const target = (ctx: SessionIqRequest): DiscoTarget => (ctx.to.local === null ? 'server' : ctx.to.equals(ctx.from.bare) ? 'own-account' : 'account');

/**
 * XEP-0030 service discovery: the server's identity and features (§3.1), an account's identity
 * (account/registered), computed from the modules that are loaded; items and nodes (§4) come from
 * the modules' `discoNodes` providers (the first that owns a node answers for it).
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
        handle: async (ctx) => {
          const node = ctx.payload.attr('node');
          if (node) {
            for (const p of ctx.discoNodes) {
              const children = await p.info?.(ctx, node);
              if (children) return { result: [xml('query', { xmlns: NS.discoInfo, node }, ...children)] };
            }
            // §3.1: item-not-found for a node nobody owns.
            return { error: 'item-not-found' };
          }
          const info = ctx.disco(target(ctx));
          const extended: Element[] = [];
          for (const p of ctx.discoNodes) extended.push(...((await p.info?.(ctx, undefined)) ?? []));
          return { result: [xml('query', { xmlns: NS.discoInfo }, ...info.identities, ...info.features.map((f) => xml('feature', { var: f })), ...extended)] };
        },
      },
      {
        scope: ['server', 'account'],
        type: 'get',
        name: 'query',
        xmlns: NS.discoItems,
        handle: async (ctx) => {
          const node = ctx.payload.attr('node');
          if (node) {
            for (const p of ctx.discoNodes) {
              const items = await p.items?.(ctx, node);
              if (items) return { result: [xml('query', { xmlns: NS.discoItems, node }, ...items)] };
            }
            return { error: 'item-not-found' };
          }
          const items: Element[] = [];
          // §4: the server lists the entities modules declare (the chatroom service); accounts have none.
          if (target(ctx) === 'server') items.push(...ctx.disco('server').items);
          for (const p of ctx.discoNodes) items.push(...((await p.items?.(ctx, undefined)) ?? []));
          return { result: [xml('query', { xmlns: NS.discoItems }, ...items)] };
        },
      },
    ],
  },
};
