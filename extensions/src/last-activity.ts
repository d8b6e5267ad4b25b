// XEP-0012 last activity, answered by the server: for an account's bare JID the seconds since its
// last logout and the status it left with (§4), for the domain the server's uptime (§5). Only
// entities allowed to see the account's presence may ask (§4, §8); a session hidden from the asker
// (invisible, or a privacy list denying presence-out) counts as offline, and the logout of an
// invisible session is not recorded, so an invisible user's last activity is her last real logout
// (or the moment she went invisible, which her contacts saw as a logout: XEP-0186 §3.1.1).
import type { ExtensionModule, SessionIqRequest } from '@parley/ext';
import { xml } from '@parley/xml';
import { rosterLookup, shows } from './privacy/policy.ts';

export const NS_LAST = 'jabber:iq:last';

async function accountLast(ctx: SessionIqRequest, now: number) {
  const { store, location } = ctx.env;
  const owner = ctx.to.bareString();
  const asker = ctx.from.toString();
  if (ctx.from.bareString() !== owner) {
    const item = await store.roster.getItem(owner, ctx.from.bareString());
    if (item?.subscription !== 'from' && item?.subscription !== 'both') return { error: 'forbidden' as const };
  }
  const [resources, policies, last] = await Promise.all([location.resources(owner), store.privacy.policies([owner]), store.lastActivity.get(owner)]);
  const policy = policies.get(owner)!;
  const roster = rosterLookup(store, owner, asker);
  for (const r of resources) {
    // §4: 0 while a resource the asker may see is available.
    if (r.available && (ctx.from.bareString() === owner || (await shows(policy, policy.sessions.get(r.conn), asker, roster)))) return { result: [xml('query', { xmlns: NS_LAST, seconds: '0' })] };
  }
  if (!last) return { error: 'item-not-found' as const, text: 'no logout recorded for this account' };
  // At least 1: 0 means online, and someone who logged out a moment ago is not.
  const seconds = Math.max(1, Math.floor((now - last.at.getTime()) / 1000));
  return { result: [xml('query', { xmlns: NS_LAST, seconds: String(seconds) }, last.status ?? undefined)] };
}

export function lastActivity(opts: { now?: () => number } = {}): ExtensionModule {
  const now = opts.now ?? Date.now;
  const started = now();
  return {
    name: 'last-activity',
    specs: ['XEP-0012'],
    disco: [{ on: ['server', 'own-account', 'account'], features: [NS_LAST] }],
    storage: ['last_activity'],
    session: {
      iq: [
        {
          scope: ['server', 'account'],
          type: 'get',
          name: 'query',
          xmlns: NS_LAST,
          handle: (ctx) =>
            ctx.to.local === null ? { result: [xml('query', { xmlns: NS_LAST, seconds: String(Math.floor((now() - started) / 1000)) })] } : accountLast(ctx, now()),
        },
      ],
    },
    presence: {
      /** The account's last visible resource went away: that is its logout (§4). */
      async unavailable({ env, key, conn, status }) {
        const policy = (await env.store.privacy.policies([key])).get(key)!;
        const invisible = (c: string) => policy.sessions.get(c)?.invisible === true;
        if (invisible(conn)) return;
        const others = (await env.location.resources(key)).filter((r) => r.available && r.conn !== conn && !invisible(r.conn));
        if (others.length === 0) await env.store.lastActivity.set(key, { at: new Date(now()), status: status ?? null });
      },
    },
  };
}
