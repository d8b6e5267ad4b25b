// XEP-0016 privacy lists: the jabber:iq:privacy protocol (§2.3-2.8) on the presence actor. The
// lists are enforced by the privacy module (enforce.ts); changes that hide a resource from a
// subscriber, or show it again, announce it (change.ts).
import type { ExtensionModule, IqHandler, IqOutcome, PresenceIqRequest } from '@parley/ext';
import type { PrivacyPolicy } from '@parley/store';
import { type Element, xml } from '@parley/xml';
import { answerChange, type PolicyChange, withList, withSession } from './change.ts';
import { listElement, NS_PRIVACY, parseList } from './list-xml.ts';
import { pushListChanged } from './pushes.ts';

const query = (...children: Array<Element | null>) => xml('query', { xmlns: NS_PRIVACY }, ...children);

async function current(ctx: PresenceIqRequest): Promise<{ policy: PrivacyPolicy; others: string[] }> {
  const [policies, resources] = await Promise.all([ctx.env.store.privacy.policies([ctx.key]), ctx.env.location.resources(ctx.key)]);
  return { policy: policies.get(ctx.key)!, others: resources.filter((r) => r.conn !== ctx.origin.conn).map((r) => r.conn) };
}

/** §2.2 rule 11: whether a list (or, with null, the default list itself) applies to another connected resource. */
function appliesElsewhere(policy: PrivacyPolicy, others: string[], name: string | null): boolean {
  return others.some((conn) => {
    const active = policy.sessions.get(conn)?.active?.name;
    if (active !== undefined) return name !== null && active === name;
    return policy.defaultList !== null && (name === null || policy.defaultList.name === name);
  });
}

/** Apply a change and answer; the changed list's name is pushed (§2.2 rule 10). */
const changed = (ctx: PresenceIqRequest, change: PolicyChange, pushed?: string): Promise<IqOutcome> =>
  answerChange(ctx, change, async () => {
    if (pushed !== undefined) await pushListChanged(ctx.env, ctx.key, pushed);
  });

const get: IqHandler<PresenceIqRequest> = {
  scope: ['server'],
  type: 'get',
  name: 'query',
  xmlns: NS_PRIVACY,
  async handle(ctx) {
    const wanted = ctx.payload.getChildren('list');
    const { store } = ctx.env;
    if (wanted.length > 1) return { error: 'bad-request', text: 'one list at a time' }; // §2.3
    if (wanted.length === 1) {
      const list = await store.privacy.getList(ctx.key, wanted[0]?.attr('name') ?? '');
      return list ? { result: [query(listElement(list))] } : { error: 'item-not-found' };
    }
    const [{ lists, defaultName }, { policy }] = await Promise.all([store.privacy.names(ctx.key), current(ctx)]);
    const active = policy.sessions.get(ctx.origin.conn)?.active?.name;
    return {
      result: [
        query(
          active !== undefined ? xml('active', { name: active }) : null,
          defaultName !== null ? xml('default', { name: defaultName }) : null,
          ...lists.map((name) => xml('list', { name })),
        ),
      ],
    };
  },
};

const set: IqHandler<PresenceIqRequest> = {
  scope: ['server'],
  type: 'set',
  name: 'query',
  xmlns: NS_PRIVACY,
  async handle(ctx) {
    const children = ctx.payload.getChildElements();
    const [child] = children;
    if (children.length !== 1 || !child) return { error: 'bad-request', text: 'exactly one of active, default or list' }; // §2.1
    const { store } = ctx.env;
    const { key, origin } = ctx;
    const name = child.attr('name');
    if (child.name === 'active') {
      // §2.4: activate (or decline, without a name) for this session before answering.
      const list = name === undefined ? null : await store.privacy.getList(key, name);
      if (name !== undefined && !list) return { error: 'item-not-found' };
      return changed(ctx, { apply: (p) => withSession(p, origin, { active: list }), save: () => store.privacy.patchSession(key, origin, { active: name ?? null }) });
    }
    if (child.name === 'default') {
      const { policy, others } = await current(ctx);
      const list = name === undefined ? null : await store.privacy.getList(key, name);
      if (name !== undefined && !list) return { error: 'item-not-found' };
      if (appliesElsewhere(policy, others, null)) return { error: 'conflict', text: 'the default list is in use by another resource' }; // §2.5
      return changed(ctx, { apply: (p) => ({ ...p, defaultList: list }), save: async () => void (await store.privacy.setDefault(key, name ?? null)) });
    }
    if (child.name !== 'list') return { error: 'bad-request', text: `unexpected ${child.name}` };
    if (child.getChildElements().length === 0) {
      // §2.8: an empty list removes it, unless another resource uses it.
      if (!name || !(await store.privacy.getList(key, name))) return { error: 'item-not-found' };
      const { policy, others } = await current(ctx);
      if (appliesElsewhere(policy, others, name)) return { error: 'conflict', text: 'the list is in use by another resource' };
      return changed(ctx, { apply: (p) => withList(p, null, name), save: async () => void (await store.privacy.removeList(key, name)) }, name);
    }
    const list = parseList(child, ctx.roster);
    if ('error' in list) return list;
    // §2.6-2.7: the whole list replaces the old one (or creates it), wherever it applies.
    return changed(ctx, { apply: (p) => withList(p, list, list.name), save: () => store.privacy.putList(key, list) }, list.name);
  },
};

export const privacyLists: ExtensionModule = {
  name: 'privacy-lists',
  specs: ['XEP-0016'],
  disco: [{ on: ['server'], features: [NS_PRIVACY] }],
  presence: { iq: [get, set] },
};
