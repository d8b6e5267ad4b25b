// Personal eventing (XEP-0163): every account is a pubsub service on its bare JID (XEP-0060
// subset), with +notify interest from entity capabilities (XEP-0115). The owner's requests run in
// its presence actor, which knows the roster and the contacts' presence; requests of others to the
// account's bare JID run in its session actor. Avatars (XEP-0084), nickname (XEP-0172), vCard4
// (XEP-0292), bookmarks (XEP-0402 with XEP-0411 conversion) and OMEMO (XEP-0384) are PEP nodes.
import type { ExtensionModule, IqOutcome, PresenceEnv, PresenceIqRequest, RosterAccess, SessionEnv, SessionIqRequest } from '@parley/ext';
import { HANDLED, PASS } from '@parley/ext';
import type { ResourceEntry } from '@parley/location';
import { parseJid } from '@parley/jid';
import { NS } from '@parley/stanza';
import { type Element, xml } from '@parley/xml';
import type { PrivateDelegate } from '../private-storage.ts';
import { convertBookmarks, privateBookmarksGet, privateBookmarksSet } from './bookmarks.ts';
import { CapsCache, capsOf, capsOfSerialized, verifiedFeatures } from './caps.ts';
import type { Limits } from './config.ts';
import { pepDiscoNodes } from './disco.ts';
import { pubsubError } from './errors.ts';
import { type Notifier, sendLastItems } from './notify.ts';
import { NODE_BOOKMARKS, NODE_LEGACY_BOOKMARKS, NS_PUBSUB, NS_PUBSUB_OWNER } from './ns.ts';
import { ownerRequest, type PepContext, pubsubRequest } from './service.ts';

export * from './ns.ts';
export { CapsCache, capsVer, verificationString } from './caps.ts';

export const DEFAULT_PEP_LIMITS: Limits = { maxItems: 256, maxItemBytes: 131072, maxNodes: 200 };

/** Disco features of the account's PEP service (XEP-0060 §10, XEP-0163 §7, XEP-0402 §4). */
export const PEP_FEATURES = [
  NS_PUBSUB,
  ...[
    'access-presence',
    'access-open',
    'access-roster',
    'access-whitelist',
    'auto-create',
    'auto-subscribe',
    'config-node',
    'create-and-configure',
    'create-nodes',
    'delete-items',
    'delete-nodes',
    'filtered-notifications',
    'item-ids',
    'last-published',
    'manage-affiliations',
    'member-affiliation',
    'outcast-affiliation',
    'persistent-items',
    'presence-notifications',
    'publish',
    'publish-options',
    'purge-nodes',
    'retract-items',
    'retrieve-items',
    'subscribe',
  ].map((f) => `${NS_PUBSUB}#${f}`),
  `${NODE_BOOKMARKS}#compat-pep`,
];

/** XEP-0402 §6 `#compat` (private XML ↔ XEP-0402) and XEP-0411 §2: advertised by private storage when it delegates to PEP. */
export const BOOKMARKS_CONVERSION_FEATURES = [`${NODE_BOOKMARKS}#compat`, 'urn:xmpp:bookmarks-conversion:0'];

/** The disco#info query the server sends a client about an unknown caps hash (XEP-0115 §6.2). */
const CAPS_QUERY_ID = 'pep-caps-';

export interface PepOptions {
  limits?: Partial<Limits>;
}

/** The owner's presence actor, where the owner's PEP requests run. */
export interface PepOwner {
  env: PresenceEnv;
  key: string;
  roster: RosterAccess;
}

/** Told, in the owner's presence actor, after the owner's request changed a node (publish, retract, …). */
export type PepChangeListener = (change: PepOwner & { node: string }) => Promise<void>;

/**
 * The PEP module, with the delegate private XML storage hands storage:bookmarks to (XEP-0411), and
 * what modules converting other data to and from PEP use (XEP-0398 avatars): `afterChange` to hear
 * of the owner's changes, `publishAsOwner` to publish on the owner's behalf. A publish of
 * `publishAsOwner` tells no listener, so two conversions cannot call each other in a loop.
 */
export type PepModule = ExtensionModule & {
  privateBookmarks: PrivateDelegate;
  afterChange(listener: PepChangeListener): void;
  publishAsOwner(owner: PepOwner, node: string, id: string, payload: Element): Promise<IqOutcome>;
};

export function pep(opts: PepOptions = {}): PepModule {
  const limits: Limits = { ...DEFAULT_PEP_LIMITS, ...opts.limits };
  const caps = new CapsCache();
  /** The known features of each available connection whose account's presence actor runs here (actor memory). */
  const interest = new Map<string, string[]>();
  const fromPresence = (env: PresenceEnv): Notifier => ({ domain: env.domain, location: env.location, store: env.store, caps, send: (r, x) => env.publish(r, x, true) });
  const fromSession = (env: SessionEnv): Notifier => ({ domain: env.domain, location: env.location, store: env.store, caps, send: (r, x) => env.publish(r, x, { stampRecipient: true }) });

  const listeners: PepChangeListener[] = [];
  /** The owner's own requests: in the presence actor, with the roster in memory. */
  const ownerContext = (ctx: PepOwner & { from: PresenceIqRequest['from'] }): PepContext => ({
    owner: ctx.key,
    from: ctx.from,
    limits,
    notifier: fromPresence(ctx.env),
    rosterItem: async (c) => ctx.roster.get(c),
    roster: async () => ctx.roster.items(),
    changed: async (c, node) => {
      await convertBookmarks(c, node);
      for (const l of listeners) await l({ env: ctx.env, key: ctx.key, roster: ctx.roster, node });
    },
  });
  function asOwner(ctx: PresenceIqRequest, run: (c: PepContext) => Promise<IqOutcome>): Promise<IqOutcome> | IqOutcome {
    const to = ctx.iq.attr('to');
    // XEP-0163 §3: the service is the account's bare JID; the domain offers no pubsub service.
    if (to !== undefined && to !== ctx.key) return pubsubError('service-unavailable');
    return run(ownerContext(ctx));
  }
  /** XEP-0411 §3: private XML get/set of storage:bookmarks, in the owner's presence actor like its PEP requests. */
  const privateBookmarks: PrivateDelegate = {
    ns: NODE_LEGACY_BOOKMARKS,
    features: BOOKMARKS_CONVERSION_FEATURES,
    get: (ctx) => privateBookmarksGet(ownerContext(ctx)),
    set: (ctx, el) => privateBookmarksSet(ownerContext(ctx), el),
  };
  /** Another account's requests to this account's bare JID: in the session actor, the roster from the store. */
  function asVisitor(ctx: SessionIqRequest, run: (c: PepContext) => Promise<IqOutcome>): Promise<IqOutcome> {
    const owner = ctx.to.bareString();
    const { store } = ctx.env;
    return run({
      owner,
      from: ctx.from,
      limits,
      notifier: fromSession(ctx.env),
      rosterItem: (c) => store.roster.getItem(owner, c),
      roster: async () => (await store.roster.get(owner)).items,
    });
  }

  return {
    privateBookmarks,
    afterChange: (listener) => void listeners.push(listener),
    async publishAsOwner(owner, node, id, payload) {
      // The same request the owner's client would send, without the change listeners.
      const quiet: PepContext = { ...ownerContext({ ...owner, from: parseJid(owner.key) }), changed: undefined };
      const request = xml('pubsub', { xmlns: NS_PUBSUB }, xml('publish', { node }, xml('item', { id }, payload)));
      const outcome = await pubsubRequest(quiet, 'set', request);
      if ('after' in outcome) await outcome.after?.();
      return outcome;
    },
    name: 'pep',
    specs: ['XEP-0163', 'XEP-0060', 'XEP-0115', 'XEP-0084', 'XEP-0172', 'XEP-0292', 'XEP-0384', 'XEP-0402', 'XEP-0411'],
    settings: ['pepMaxItems', 'pepMaxItemBytes', 'pepMaxNodes'],
    storage: ['pep_nodes', 'pep_items', 'pep_subscriptions', 'caps_features'],
    disco: [{ on: ['own-account', 'account'], identity: { category: 'pubsub', type: 'pep' }, features: PEP_FEATURES }],
    presence: {
      iq: (['get', 'set'] as const).flatMap((type) => [
        { scope: ['server' as const], type, name: 'pubsub', xmlns: NS_PUBSUB, handle: (ctx: PresenceIqRequest) => asOwner(ctx, (c) => pubsubRequest(c, type, ctx.payload)) },
        { scope: ['server' as const], type, name: 'pubsub', xmlns: NS_PUBSUB_OWNER, handle: (ctx: PresenceIqRequest) => asOwner(ctx, (c) => ownerRequest(c, type, ctx.payload)) },
      ]),
      /** XEP-0115 §6.2: learn what an unknown caps hash means; XEP-0163 §4.3.3: last items for a new resource. */
      async ownPresence({ env, key, origin, stanza, initial }) {
        const c = capsOf(stanza);
        if (!c) {
          interest.set(origin.conn, []); // no caps: no implicit interest, so a later <c/> adds all of it
          return;
        }
        const target: ResourceEntry = { jid: origin.jid, edge: origin.edge, conn: origin.conn, priority: 0, available: true };
        const features = await caps.features(env.store.pep, c);
        if (features) {
          // XEP-0163 §4.3.3 on a caps change too: the last items of nodes the resource newly asks for.
          const before = initial ? [] : (interest.get(origin.conn) ?? features);
          interest.set(origin.conn, features);
          const added = features.filter((f) => !before.includes(f));
          if (added.length) await sendLastItems(fromPresence(env), key, target, added);
          return;
        }
        if (!caps.shouldAsk(c, origin.conn)) return;
        const query = xml('iq', { xmlns: NS.client, type: 'get', id: `${CAPS_QUERY_ID}${Math.random().toString(36).slice(2, 12)}`, from: key, to: origin.jid }, xml('query', { xmlns: NS.discoInfo, node: `${c.node}#${c.ver}` }));
        env.publish([target], query.toString(), false);
      },
      /**
       * XEP-0163 §4.3.3 for a new contact: once the account receives a contact's presence (subscription
       * to or both), its +notify resources get the contact's last items. A roster edit that keeps the
       * subscription sends them again, which is harmless for "last item" state.
       */
      async resourceGone({ conn }) {
        interest.delete(conn);
      },
      async unavailable({ conn }) {
        interest.delete(conn);
      },
      async rosterChanged({ env, key, item }) {
        if ('remove' in item || (item.subscription !== 'to' && item.subscription !== 'both')) return;
        const n = fromPresence(env);
        for (const r of await env.location.resources(key)) {
          const c = r.available ? capsOfSerialized(r.presence) : null;
          const features = c ? await caps.features(env.store.pep, c) : null;
          if (features) await sendLastItems(n, key, r, features, [item.contact]);
        }
      },
    },
    session: {
      // XEP-0060 §5.2-5.5: the account's nodes and a node's items in disco#items, per access model.
      discoNodes: pepDiscoNodes,
      iq: (['get', 'set'] as const).flatMap((type) => [
        { scope: ['account' as const], type, name: 'pubsub', xmlns: NS_PUBSUB, handle: (ctx: SessionIqRequest) => asVisitor(ctx, (c) => pubsubRequest(c, type, ctx.payload)) },
        { scope: ['account' as const], type, name: 'pubsub', xmlns: NS_PUBSUB_OWNER, handle: (ctx: SessionIqRequest) => asVisitor(ctx, (c) => ownerRequest(c, type, ctx.payload)) },
      ]),
      /** The client's answer to our disco#info query: verified (XEP-0115 §5.4), cached, then the last items it is owed. */
      async response({ env, key, stanza }) {
        if (!stanza.attr('id')?.startsWith(CAPS_QUERY_ID)) return PASS;
        if (stanza.attr('type') !== 'result') return HANDLED;
        const from = stanza.attr('from');
        const entry = (await env.location.resources(key)).find((r) => r.jid === from);
        const c = capsOfSerialized(entry?.presence);
        const query = stanza.getChild('query', NS.discoInfo);
        if (!entry || !c || !query || query.attr('node') !== `${c.node}#${c.ver}`) return HANDLED;
        const features = verifiedFeatures(c, stanza);
        if (!features) {
          env.log.warn('caps hash does not match the disco#info answer', { from, ver: c.ver });
          return HANDLED;
        }
        await caps.put(env.store.pep, c, features);
        if (entry.available) await sendLastItems(fromSession(env), key, entry, features);
        return HANDLED;
      },
    },
  };
}
