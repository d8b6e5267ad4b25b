// XEP-0411 bookmarks conversion: a client using XEP-0048 bookmarks in PEP (the storage:bookmarks
// node) and one using XEP-0402 (urn:xmpp:bookmarks:1, one item per room) see the same rooms: each
// change to one node rewrites the other (XEP-0411 §3). A client using XEP-0048 in private XML
// storage (XEP-0049) reads and writes the storage:bookmarks node through the private-storage
// module's delegate (`privateBookmarksGet`/`privateBookmarksSet`, run in the owner's presence actor).
import type { IqOutcome } from '@parley/ext';
import { xml, type Element } from '@parley/xml';
import { defaultConfig, effectiveMaxItems, fromStored, toStored } from './config.ts';
import { notify, payloadOf } from './notify.ts';
import { NODE_BOOKMARKS, NODE_LEGACY_BOOKMARKS } from './ns.ts';
import { type PepContext, publishItem } from './service.ts';

const bool = (v: string | undefined) => v === 'true' || v === '1';

interface Room {
  jid: string;
  name?: string;
  autojoin: boolean;
  nick?: string;
  password?: string;
}

/** XEP-0402 §3 conference payload ↔ room. */
function fromConference(id: string, c: Element): Room {
  return { jid: id, name: c.attr('name'), autojoin: bool(c.attr('autojoin')), nick: c.getChildText('nick'), password: c.getChildText('password') };
}
const toConference = (r: Room) =>
  xml('conference', { xmlns: NODE_BOOKMARKS, name: r.name, autojoin: r.autojoin ? 'true' : undefined }, r.nick ? xml('nick', {}, r.nick) : undefined, r.password ? xml('password', {}, r.password) : undefined);

/** XEP-0048 §3.2 storage element ↔ rooms. */
function fromStorage(storage: Element): Room[] {
  return storage
    .getChildren('conference')
    .flatMap((c) => (c.attr('jid') ? [{ jid: c.attr('jid')!, name: c.attr('name'), autojoin: bool(c.attr('autojoin')), nick: c.getChildText('nick'), password: c.getChildText('password') }] : []));
}
const toStorage = (rooms: Room[], others: Element[] = []) =>
  xml(
    'storage',
    { xmlns: NODE_LEGACY_BOOKMARKS },
    // XEP-0048 §3.3 <url/> bookmarks have no XEP-0402 form: kept from the storage they were in.
    ...others,
    ...rooms.map((r) => xml('conference', { jid: r.jid, name: r.name, autojoin: r.autojoin ? 'true' : 'false' }, r.nick ? xml('nick', {}, r.nick) : undefined, r.password ? xml('password', {}, r.password) : undefined)),
  );

async function ensureNode(ctx: PepContext, name: string) {
  const { pep } = ctx.notifier.store;
  let node = await pep.getNode(ctx.owner, name);
  if (!node) {
    // XEP-0402 §3: a node made by the conversion has the configuration XEP-0402 clients publish
    // with as preconditions (send_last_published_item never), or their first publish would fail.
    const made = name === NODE_BOOKMARKS ? { ...defaultConfig(name), send_last_published_item: 'never' as const } : defaultConfig(name);
    await pep.createNode(ctx.owner, name, toStored(made));
    node = await pep.getNode(ctx.owner, name);
  }
  if (!node) return null;
  const config = fromStored(node.config, name);
  // XEP-0411 §5: bookmarks copied between stores are the owner's alone: a node the owner opened up
  // is put back to whitelist before the conversion writes into it.
  if (config.access_model !== 'whitelist') {
    const fixed = { ...config, access_model: 'whitelist' as const };
    await pep.configureNode(ctx.owner, name, toStored(fixed), fixed.persist_items ? effectiveMaxItems(fixed, ctx.limits) : 0);
    node = (await pep.getNode(ctx.owner, name)) ?? node;
    return { node, config: fixed };
  }
  return { node, config };
}

/**
 * XEP-0411 §3 for a private XML (XEP-0049) get of storage:bookmarks: the storage:bookmarks node's
 * current item, else one built from the XEP-0402 items; null when PEP holds no bookmarks.
 */
export async function privateBookmarksGet(ctx: PepContext): Promise<Element | null> {
  const { pep } = ctx.notifier.store;
  const [current] = await pep.items(ctx.owner, NODE_LEGACY_BOOKMARKS, { max: 1 });
  const storage = current ? payloadOf(current) : null;
  if (storage?.is('storage', NODE_LEGACY_BOOKMARKS)) return storage;
  const items = (await pep.items(ctx.owner, NODE_BOOKMARKS)).reverse();
  if (items.length === 0) return null;
  return toStorage(
    items.flatMap((i) => {
      const c = payloadOf(i);
      return c?.is('conference', NODE_BOOKMARKS) ? [fromConference(i.id, c)] : [];
    }),
  );
}

/**
 * XEP-0411 §3 for a private XML set of storage:bookmarks: published as the storage:bookmarks
 * node's item `current`, as if the owner had published it over PEP, so its +notify resources hear
 * of it and the conversion rewrites urn:xmpp:bookmarks:1 (with its own notifications) after the result.
 */
export async function privateBookmarksSet(ctx: PepContext, storage: Element): Promise<IqOutcome> {
  if (!storage.is('storage', NODE_LEGACY_BOOKMARKS)) return { error: 'bad-request', text: 'XEP-0048 §3: bookmarks are a storage element' };
  const payload = storage.clone();
  payload.setAttr('xmlns', NODE_LEGACY_BOOKMARKS);
  const serialized = payload.toString();
  if (Buffer.byteLength(serialized) > ctx.limits.maxItemBytes) return { error: 'not-acceptable', text: `bookmarks are limited to ${ctx.limits.maxItemBytes} bytes` };
  const target = await ensureNode(ctx, NODE_LEGACY_BOOKMARKS);
  if (!target) return { error: 'internal-server-error' };
  const out = await publishItem(ctx, target, 'current', serialized);
  return { result: [], after: out.after };
}

/** The 'changed' hook of the PEP service: keeps the other bookmark node in step. */
export async function convertBookmarks(ctx: PepContext, node: string): Promise<void> {
  if (node !== NODE_BOOKMARKS && node !== NODE_LEGACY_BOOKMARKS) return;
  const quiet: PepContext = { ...ctx, changed: undefined };
  const { pep } = ctx.notifier.store;
  if (node === NODE_BOOKMARKS) {
    const items = (await pep.items(ctx.owner, NODE_BOOKMARKS)).reverse();
    const rooms = items.flatMap((i) => {
      const c = payloadOf(i);
      return c?.is('conference', NODE_BOOKMARKS) ? [fromConference(i.id, c)] : [];
    });
    const target = await ensureNode(ctx, NODE_LEGACY_BOOKMARKS);
    if (!target) return;
    const [before] = await pep.items(ctx.owner, NODE_LEGACY_BOOKMARKS, { max: 1 });
    const urls = (before ? payloadOf(before) : null)?.getChildren('url') ?? [];
    const out = await publishItem(quiet, target, 'current', toStorage(rooms, urls).toString());
    await out.after?.();
    return;
  }
  const [current] = await pep.items(ctx.owner, NODE_LEGACY_BOOKMARKS, { max: 1 });
  const storage = current ? payloadOf(current) : null;
  const rooms = storage?.is('storage', NODE_LEGACY_BOOKMARKS) ? fromStorage(storage) : [];
  const target = await ensureNode(ctx, NODE_BOOKMARKS);
  if (!target) return;
  const existing = new Map((await pep.items(ctx.owner, NODE_BOOKMARKS)).map((i) => [i.id, i.payload]));
  for (const r of rooms) {
    const payload = toConference(r).toString();
    if (existing.get(r.jid) === payload) continue;
    const out = await publishItem(quiet, target, r.jid, payload);
    await out.after?.();
  }
  const keep = new Set(rooms.map((r) => r.jid));
  for (const id of existing.keys()) {
    if (keep.has(id) || !(await pep.retract(ctx.owner, NODE_BOOKMARKS, id))) continue;
    await notify(ctx.notifier, ctx.owner, target.node, await ctx.roster(), xml('items', { node: NODE_BOOKMARKS }, xml('retract', { id })));
  }
}
