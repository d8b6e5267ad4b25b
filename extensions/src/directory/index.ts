// XEP-0055 jabber:iq:search with data forms (XEP-0004), served by the server's own JID (like
// Prosody's mod_vjud loaded on the host): an opt-in user directory. Users publish fields with an
// ad-hoc command (edit-command.ts), each visible to everyone, their contacts, or nobody.
// Search never confirms an account that did not publish: results come only from published fields,
// a criterion matches only a field the asker may see, and a hidden account and a missing one give
// the same (empty) answer by the same path, without a per-JID lookup.
import type { ExtensionModule, IqOutcome, SessionIqRequest } from '@parley/ext';
import type { DirectoryField } from '@parley/store';
import { type Element, xml } from '@parley/xml';
import { type CommandRegistry, dataForm, NS_DATA } from '../adhoc/index.ts';
import { rosterLookup } from '../privacy/policy.ts';
import { allows } from '../privacy/rules.ts';
import { directoryEditCommand } from './edit-command.ts';
import { DIRECTORY_FIELDS } from './fields.ts';

export { DIRECTORY_EDIT_NODE } from './edit-command.ts';
export const NS_SEARCH = 'jabber:iq:search';

export interface DirectoryOptions {
  commands: CommandRegistry;
  maxResults: number;
  searchesPerMinute: number;
  now?: () => number;
}

const INSTRUCTIONS = 'Find people who chose to be listed. Fill in one or more fields; parts of words match.';

/** §2.1/§3.1: the search form (and the legacy fields for old clients). */
function searchForm(): Element[] {
  return [
    xml('instructions', {}, INSTRUCTIONS),
    ...['first', 'last', 'nick', 'email'].map((n) => xml(n)),
    dataForm('form', {
      title: 'User directory',
      instructions: INSTRUCTIONS,
      fields: [{ var: 'FORM_TYPE', type: 'hidden', value: NS_SEARCH }, ...DIRECTORY_FIELDS.map((f) => ({ var: f.var, type: 'text-single' as const, label: f.label }))],
    }),
  ];
}

/** A fixed-window counter per requesting account. */
function rateLimiter(perMinute: number, now: () => number) {
  const windows = new Map<string, { start: number; count: number }>();
  return (who: string): boolean => {
    const t = now();
    if (windows.size > 10_000) for (const [k, w] of windows) if (t - w.start >= 60_000) windows.delete(k);
    const w = windows.get(who);
    if (!w || t - w.start >= 60_000) {
      windows.set(who, { start: t, count: 1 });
      return true;
    }
    w.count += 1;
    return w.count <= perMinute;
  };
}

export function directory(opts: DirectoryOptions): ExtensionModule {
  const now = opts.now ?? Date.now;
  const admit = rateLimiter(opts.searchesPerMinute, now);
  opts.commands.register(directoryEditCommand());

  /** Whether `asker` may see a field: everyone, or contacts the owner shares presence with (RFC 6121 'from'/'both'). */
  async function visibleTo(ctx: SessionIqRequest, owner: string, f: DirectoryField, contactOf: Map<string, Promise<boolean>>): Promise<boolean> {
    if (f.visibility === 'everyone') return true;
    if (f.visibility !== 'contacts') return false;
    const asker = ctx.from.bareString();
    if (asker === owner) return true;
    let p = contactOf.get(owner);
    if (!p) {
      p = ctx.env.store.roster.getItem(owner, asker).then((i) => i?.subscription === 'from' || i?.subscription === 'both');
      contactOf.set(owner, p);
    }
    return p;
  }

  async function search(ctx: SessionIqRequest): Promise<IqOutcome> {
    if (ctx.to.local !== null) return { error: 'service-unavailable' };
    const form = ctx.payload.getChild('x', NS_DATA);
    const criteria: Array<{ field: string; text: string }> = [];
    const legacy = !form;
    if (form) {
      for (const f of form.getChildren('field')) {
        const name = f.attr('var');
        const value = f.getChildText('value')?.trim() ?? '';
        if (!name || name === 'FORM_TYPE' || value === '') continue;
        if (!DIRECTORY_FIELDS.some((d) => d.var === name)) return { error: 'bad-request', text: `${name} is not a search field` };
        criteria.push({ field: name, text: value });
      }
    } else {
      for (const d of DIRECTORY_FIELDS) {
        for (const l of d.legacy) {
          const value = ctx.payload.getChildText(l)?.trim() ?? '';
          if (value) criteria.push({ field: d.var, text: value });
        }
      }
    }
    if (criteria.length === 0) return { error: 'not-acceptable', text: 'fill in at least one field' };
    if (criteria.some((c) => c.text.length > 128)) return { error: 'not-acceptable', text: 'search text too long' };
    // Rate limited per account: harvesting by many small queries is slowed down.
    if (!admit(ctx.from.bareString())) return { error: 'resource-constraint', text: 'too many searches, try again in a minute' };

    // Over-fetch: some candidates fall away when a criterion matched a contacts-only field.
    const candidates = await ctx.env.store.directory.search(criteria, opts.maxResults * 4);
    const contactOf = new Map<string, Promise<boolean>>();
    const found: Array<{ jid: string; fields: DirectoryField[] }> = [];
    // Someone who blocked the asker (XEP-0191, or a default list denying IQs) is not found by them.
    const policies = candidates.size ? await ctx.env.store.privacy.policies([...candidates.keys()]) : new Map();
    const asker = ctx.from.toString();
    for (const [owner, fields] of candidates) {
      if (found.length >= opts.maxResults) break;
      const list = policies.get(owner)?.defaultList;
      if (list && !(await allows(list, 'iq', asker, rosterLookup(ctx.env.store, owner, asker)))) continue;
      const shown: DirectoryField[] = [];
      for (const f of fields) if (await visibleTo(ctx, owner, f, contactOf)) shown.push(f);
      // Every criterion must have matched a field this asker may see, or the match itself would leak.
      const ok = criteria.every((c) => shown.some((f) => f.field === c.field && f.value.toLowerCase().includes(c.text.toLowerCase())));
      if (ok) found.push({ jid: owner, fields: shown });
    }
    if (legacy) return { result: [xml('query', { xmlns: NS_SEARCH }, ...found.map(legacyItem))] };
    // §3.2: a result form with the reported fields and one item per entry, published fields only.
    const result = xml(
      'x',
      { xmlns: NS_DATA, type: 'result' },
      xml('field', { var: 'FORM_TYPE', type: 'hidden' }, xml('value', {}, NS_SEARCH)),
      xml(
        'reported',
        {},
        xml('field', { var: 'jid', type: 'jid-single', label: 'JID' }),
        ...DIRECTORY_FIELDS.map((f) => xml('field', { var: f.var, type: 'text-single', label: f.label })),
      ),
      ...found.map((e) =>
        xml(
          'item',
          {},
          xml('field', { var: 'jid' }, xml('value', {}, e.jid)),
          ...e.fields.map((f) => xml('field', { var: f.field }, xml('value', {}, f.value))),
        ),
      ),
    );
    return { result: [xml('query', { xmlns: NS_SEARCH }, result)] };
  }

  return {
    name: 'directory',
    specs: ['XEP-0055', 'XEP-0004'],
    disco: [{ on: ['server'], features: [NS_SEARCH] }],
    settings: ['directoryMaxResults', 'directorySearchesPerMinute'],
    storage: ['directory_fields'],
    session: {
      iq: [
        { scope: ['server'], type: 'get', name: 'query', xmlns: NS_SEARCH, handle: (ctx) => (ctx.to.local !== null ? { error: 'service-unavailable' } : { result: [xml('query', { xmlns: NS_SEARCH }, ...searchForm())] }) },
        { scope: ['server'], type: 'set', name: 'query', xmlns: NS_SEARCH, handle: search },
      ],
    },
  };
}

/** §2.2: a legacy result item (name goes to <first/>, as there is no split). */
function legacyItem(e: { jid: string; fields: DirectoryField[] }): Element {
  const v = (name: string) => e.fields.find((f) => f.field === name)?.value;
  return xml('item', { jid: e.jid }, v('name') ? xml('first', {}, v('name')) : null, v('nickname') ? xml('nick', {}, v('nickname')) : null, v('email') ? xml('email', {}, v('email')) : null);
}
