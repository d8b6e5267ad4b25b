// XEP-0049 private XML storage: an account keeps XML fragments on its server, one per namespace of
// the stored element, readable only by itself.
import type { ExtensionModule, IqOutcome, SessionIqRequest } from '@parley/ext';
import { parseFragment, xml } from '@parley/xml';

export const NS_PRIVATE = 'jabber:iq:private';

/** §2: the query holds exactly one element, in its own namespace, which is not a jabber:* one (§3). */
function stored(ctx: SessionIqRequest): { ns: string; name: string } | IqOutcome {
  const children = ctx.payload.getChildElements();
  if (children.length !== 1) return { error: 'bad-request', text: 'the query must hold exactly one element' };
  const el = children[0]!;
  const ns = el.getNS();
  if (!ns || ns === NS_PRIVATE) return { error: 'bad-request', text: 'the stored element needs its own namespace' };
  // §3: "jabber:" namespaces are reserved; storing or reading them is not-acceptable.
  if (ns.startsWith('jabber:')) return { error: 'not-acceptable', text: 'jabber:* namespaces cannot be stored' };
  return { ns, name: el.name };
}

export function privateStorage(opts: { maxBytes: number }): ExtensionModule {
  const own = (ctx: SessionIqRequest) => ctx.to.local === null || ctx.to.bareString() === ctx.from.bareString();
  return {
    name: 'private-storage',
    specs: ['XEP-0049'],
    disco: [{ on: ['own-account'], features: [NS_PRIVATE] }],
    settings: ['privateMaxBytes'],
    storage: ['private_storage'],
    session: {
      iq: [
        {
          scope: ['server'],
          type: 'get',
          name: 'query',
          xmlns: NS_PRIVATE,
          async handle(ctx) {
            if (!own(ctx)) return { error: 'forbidden' };
            const which = stored(ctx);
            if ('error' in which || 'result' in which) return which;
            const kept = await ctx.env.store.privateStorage.get(ctx.from.bareString(), which.ns);
            // §2.3: nothing stored: the empty element comes back.
            return { result: [xml('query', { xmlns: NS_PRIVATE }, kept === null ? xml(which.name, { xmlns: which.ns }) : parseFragment(kept, { maxStanzaBytes: Math.max(kept.length * 4 + 1, 262144) }))] };
          },
        },
        {
          scope: ['server'],
          type: 'set',
          name: 'query',
          xmlns: NS_PRIVATE,
          async handle(ctx) {
            if (!own(ctx)) return { error: 'forbidden' };
            const which = stored(ctx);
            if ('error' in which || 'result' in which) return which;
            const text = ctx.payload.getChildElements()[0]!.toString();
            if (Buffer.byteLength(text) > opts.maxBytes) return { error: 'not-acceptable', text: `private data is limited to ${opts.maxBytes} bytes per namespace` };
            await ctx.env.store.privateStorage.set(ctx.from.bareString(), which.ns, text);
            return { result: [] };
          },
        },
        // §3: another user's private data is forbidden.
        { scope: ['account'], type: 'get', name: 'query', xmlns: NS_PRIVATE, handle: () => ({ error: 'forbidden' }) },
        { scope: ['account'], type: 'set', name: 'query', xmlns: NS_PRIVATE, handle: () => ({ error: 'forbidden' }) },
      ],
    },
  };
}
