// XEP-0191 blocking command, a front end to the default privacy list as §2 requires when both are
// deployed: a blocked JID is a jid item denying every stanza, placed first in the list. The
// enforcement is the privacy module's (enforce.ts).
import type { ExtensionModule, IqHandler, IqOutcome, PresenceIqRequest } from '@parley/ext';
import { tryParseJid } from '@parley/jid';
import type { PrivacyItem, PrivacyList, PrivacyPolicy } from '@parley/store';
import { type Element, xml } from '@parley/xml';
import { answerChange, withList } from './change.ts';
import { NS_BLOCKING } from './policy.ts';
import { pushBlocklist, pushListChanged } from './pushes.ts';
import { isBlockItem } from './rules.ts';

/** The name given to the default list when the first block creates it. */
export const BLOCKLIST_NAME = 'urn:xmpp:blocking';

/** The JIDs of the items, prepared; an item without a valid JID is `jid-malformed` (RFC 6120 §8.3.3.8). */
function itemJids(payload: Element): string[] | IqOutcome {
  const out: string[] = [];
  for (const item of payload.getChildren('item')) {
    const jid = tryParseJid(item.attr('jid') ?? '');
    if (!jid) return { error: 'jid-malformed', text: `not a JID: ${item.attr('jid') ?? '(missing)'}` };
    if (!out.includes(jid.toString())) out.push(jid.toString());
  }
  return out;
}

const renumber = (items: PrivacyItem[]): PrivacyItem[] => items.map((i, order) => ({ ...i, order }));

async function defaultList(ctx: PresenceIqRequest): Promise<PrivacyList | null> {
  return (await ctx.env.store.privacy.policies([ctx.key])).get(ctx.key)!.defaultList;
}

/**
 * Store the new default list (unavailable first to subscribers it now hides from, §3.3), then
 * answer; the pushes and the current presence to whom it shows again (§3.4) follow the result.
 */
async function save(ctx: PresenceIqRequest, list: PrivacyList, push: Element): Promise<IqOutcome> {
  const { store } = ctx.env;
  const change = {
    apply: (p: PrivacyPolicy) => ({ ...withList(p, list, list.name), defaultList: list }),
    save: async () => {
      await store.privacy.putList(ctx.key, list);
      await store.privacy.setDefault(ctx.key, list.name);
    },
  };
  return answerChange(ctx, change, async () => {
    await pushBlocklist(ctx.env, ctx.key, push);
    await pushListChanged(ctx.env, ctx.key, list.name);
  });
}

const blocklist: IqHandler<PresenceIqRequest> = {
  scope: ['server'],
  type: 'get',
  name: 'blocklist',
  xmlns: NS_BLOCKING,
  // §3.2: every blocked JID; the asking resource gets pushes from now on (§3.3).
  async handle(ctx) {
    await ctx.env.store.privacy.patchSession(ctx.key, ctx.origin, { blocklistInterest: true });
    const items = ((await defaultList(ctx))?.items ?? []).filter(isBlockItem).map((i) => xml('item', { jid: i.value ?? '' }));
    return { result: [xml('blocklist', { xmlns: NS_BLOCKING }, ...items)] };
  },
};

/** A set command whose items were parsed into prepared JIDs. */
const command = (name: 'block' | 'unblock', run: (ctx: PresenceIqRequest, jids: string[]) => Promise<IqOutcome>): IqHandler<PresenceIqRequest> => ({
  scope: ['server'],
  type: 'set',
  name,
  xmlns: NS_BLOCKING,
  handle(ctx) {
    const jids = itemJids(ctx.payload);
    return Array.isArray(jids) ? run(ctx, jids) : jids;
  },
});

const block = command('block', async (ctx, jids) => {
  if (jids.length === 0) return { error: 'bad-request', text: 'block needs at least one item' }; // §3.3
  const list = (await defaultList(ctx)) ?? { name: BLOCKLIST_NAME, items: [] };
  const already = new Set(list.items.filter(isBlockItem).map((i) => i.value));
  const added = jids.filter((j) => !already.has(j));
  const blocked = added.map((value): PrivacyItem => ({ type: 'jid', value, action: 'deny', order: 0, stanzas: [] }));
  return save(ctx, { name: list.name, items: renumber([...blocked, ...list.items]) }, xml('block', { xmlns: NS_BLOCKING }, ...jids.map((jid) => xml('item', { jid }))));
});

const unblock = command('unblock', async (ctx, jids) => {
  const list = await defaultList(ctx);
  const all = jids.length === 0; // §3.5: an empty unblock unblocks everyone
  const push = xml('unblock', { xmlns: NS_BLOCKING }, ...jids.map((jid) => xml('item', { jid })));
  if (!list) return { result: [], after: () => pushBlocklist(ctx.env, ctx.key, push) };
  const removed = list.items.filter((i) => isBlockItem(i) && (all || jids.includes(i.value ?? '')));
  const kept = list.items.filter((i) => !removed.includes(i));
  return save(ctx, { name: list.name, items: renumber(kept) }, push);
});

export const blocking: ExtensionModule = {
  name: 'blocking',
  specs: ['XEP-0191'],
  disco: [{ on: ['server'], features: [NS_BLOCKING] }],
  presence: { iq: [blocklist, block, unblock] },
};
