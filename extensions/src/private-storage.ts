// XEP-0049 private XML storage: an account keeps XML fragments on its server, one per namespace of
// the stored element, readable only by itself. A namespace another module keeps elsewhere is
// delegated to it: XEP-0048 bookmarks (storage:bookmarks) live in PEP (XEP-0411, the pep module).
//
// The owner's requests run in its presence actor, like its PEP requests (docs/pep.md): the edge
// routes by the query element alone, and the bookmarks delegate must be serialised with the PEP
// publishes it converts from and to.
import type { ExtensionModule, IqOutcome, IqRequest, PresenceIqRequest } from '@parley/ext';
import { type Element, parseFragment, xml } from '@parley/xml';

export const NS_PRIVATE = 'jabber:iq:private';

/** A stored namespace that another module keeps: private get and set of it go there. */
export interface PrivateDelegate {
  /** The namespace of the stored element (e.g. storage:bookmarks). */
  ns: string;
  /** Disco features it adds on the account (XEP-0411 §2). */
  features: string[];
  /** The element to answer a get with; null when it holds nothing (then a fragment stored here, if any, answers). */
  get(ctx: PresenceIqRequest): Promise<Element | null>;
  /** Stores the element (already checked for size); the outcome is the set's. */
  set(ctx: PresenceIqRequest, el: Element): Promise<IqOutcome>;
}

/** §2: the query holds exactly one element, in its own namespace, which is not a jabber:* one (§3). */
function stored(ctx: IqRequest): { ns: string; name: string } | IqOutcome {
  const children = ctx.payload.getChildElements();
  if (children.length !== 1) return { error: 'bad-request', text: 'the query must hold exactly one element' };
  const el = children[0]!;
  const ns = el.getNS();
  if (!ns || ns === NS_PRIVATE) return { error: 'bad-request', text: 'the stored element needs its own namespace' };
  // §3: "jabber:" namespaces are reserved; storing or reading them is not-acceptable.
  if (ns.startsWith('jabber:')) return { error: 'not-acceptable', text: 'jabber:* namespaces cannot be stored' };
  return { ns, name: el.name };
}

export function privateStorage(opts: { maxBytes: number; delegates?: PrivateDelegate[] }): ExtensionModule {
  const own = (ctx: IqRequest) => ctx.to.local === null || ctx.to.bareString() === ctx.from.bareString();
  const delegates = new Map((opts.delegates ?? []).map((d) => [d.ns, d]));
  const extra = (opts.delegates ?? []).flatMap((d) => d.features);
  const parse = (kept: string) => parseFragment(kept, { maxStanzaBytes: Math.max(kept.length * 4 + 1, 262144) });
  return {
    name: 'private-storage',
    specs: ['XEP-0049'],
    disco: [{ on: ['own-account'], features: [NS_PRIVATE] }, ...(extra.length ? [{ on: ['own-account' as const, 'account' as const], features: extra }] : [])],
    settings: ['privateMaxBytes'],
    storage: ['private_storage'],
    presence: {
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
            const elsewhere = await delegates.get(which.ns)?.get(ctx);
            if (elsewhere) return { result: [xml('query', { xmlns: NS_PRIVATE }, elsewhere)] };
            // A delegated namespace that holds nothing yet still answers what was stored here before (migration).
            const kept = await ctx.env.store.privateStorage.get(ctx.from.bareString(), which.ns);
            // §2.3: nothing stored: the empty element comes back.
            return { result: [xml('query', { xmlns: NS_PRIVATE }, kept === null ? xml(which.name, { xmlns: which.ns }) : parse(kept))] };
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
            const el = ctx.payload.getChildElements()[0]!;
            const text = el.toString();
            if (Buffer.byteLength(text) > opts.maxBytes) return { error: 'not-acceptable', text: `private data is limited to ${opts.maxBytes} bytes per namespace` };
            const delegate = delegates.get(which.ns);
            if (delegate) return delegate.set(ctx, el);
            await ctx.env.store.privateStorage.set(ctx.from.bareString(), which.ns, text);
            return { result: [] };
          },
        },
      ],
    },
    session: {
      iq: [
        // §3: another user's private data is forbidden.
        { scope: ['account'], type: 'get', name: 'query', xmlns: NS_PRIVATE, handle: () => ({ error: 'forbidden' }) },
        { scope: ['account'], type: 'set', name: 'query', xmlns: NS_PRIVATE, handle: () => ({ error: 'forbidden' }) },
      ],
    },
  };
}
