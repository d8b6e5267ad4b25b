// XEP-0313 §6 archiving preferences: the default (always/never/roster) and per-JID lists.
import type { IqHandler, IqOutcome, SessionIqRequest } from '@parley/ext';
import { tryParseJid } from '@parley/jid';
import type { ArchiveMode, ArchivePrefs } from '@parley/store';
import { type Element, xml } from '@parley/xml';
import { NS_MAM } from './ns.ts';

const MODES: ArchiveMode[] = ['always', 'never', 'roster'];
/** A user's lists are bounded so one IQ cannot grow a row without limit. */
export const MAX_PREF_JIDS = 1000;

export function prefsElement(p: ArchivePrefs): Element {
  const list = (name: string, jids: string[]) => xml(name, null, ...jids.map((j) => xml('jid', null, j)));
  return xml('prefs', { xmlns: NS_MAM, default: p.defaultMode }, list('always', p.always), list('never', p.never));
}

/** §6.1: the lists hold JIDs; each is compared as a bare JID with the other party's. */
function jids(el: Element | undefined): string[] | null {
  if (!el) return [];
  const out: string[] = [];
  for (const j of el.getChildren('jid')) {
    const parsed = tryParseJid(j.text());
    if (!parsed) return null;
    const bare = parsed.bare.toString();
    if (!out.includes(bare)) out.push(bare);
  }
  return out;
}

export function parsePrefs(el: Element): ArchivePrefs | string {
  const mode = el.attr('default');
  if (!MODES.includes(mode as ArchiveMode)) return 'default must be always, never or roster';
  const always = jids(el.getChild('always'));
  const never = jids(el.getChild('never'));
  if (!always || !never) return 'not a JID';
  if (always.length + never.length > MAX_PREF_JIDS) return `at most ${MAX_PREF_JIDS} JIDs`;
  // §6.1: a JID is in at most one list; `never` wins for one named in both.
  return { defaultMode: mode as ArchiveMode, always: always.filter((j) => !never.includes(j)), never };
}

export function prefsHandlers(defaultMode: ArchiveMode): IqHandler<SessionIqRequest>[] {
  const current = async (ctx: SessionIqRequest): Promise<ArchivePrefs> =>
    (await ctx.env.store.archive.getPrefs(ctx.from.bare.toString())) ?? { defaultMode, always: [], never: [] };
  return [
    { scope: ['server'], type: 'get', name: 'prefs', xmlns: NS_MAM, handle: async (ctx) => ({ result: [prefsElement(await current(ctx))] }) },
    {
      scope: ['server'],
      type: 'set',
      name: 'prefs',
      xmlns: NS_MAM,
      async handle(ctx): Promise<IqOutcome> {
        const prefs = parsePrefs(ctx.payload);
        if (typeof prefs === 'string') return { error: 'bad-request', text: prefs };
        await ctx.env.store.archive.setPrefs(ctx.from.bare.toString(), prefs);
        // §6.1: the result carries the preferences now in force.
        return { result: [prefsElement(prefs)] };
      },
    },
  ];
}
