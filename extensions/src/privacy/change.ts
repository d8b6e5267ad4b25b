// A change of an account's privacy state (a list edited, a default or active list chosen, a block,
// invisibility) changes who may see its presence. Contacts that lose sight of a resource get its
// unavailable presence before the change applies, those that gain it get its current presence
// after (XEP-0016 §2.10 note, XEP-0191 §3.3-3.4).
import type { IqOutcome, PresenceIqRequest } from '@parley/ext';
import type { PrivacyList, PrivacyPolicy, PrivacySession } from '@parley/store';
import { rosterLookup, shows } from './policy.ts';

export interface PolicyChange {
  /** The policy as it will be (pure). */
  apply(p: PrivacyPolicy): PrivacyPolicy;
  /** Store it. */
  save(): Promise<void>;
}

/** Replace a list wherever it applies (as the default or as a session's active list). */
export function withList(p: PrivacyPolicy, list: PrivacyList | null, name: string): PrivacyPolicy {
  const swap = (l: PrivacyList | null) => (l?.name === name ? list : l);
  const sessions = new Map([...p.sessions].map(([c, s]) => [c, { ...s, active: swap(s.active) }]));
  return { defaultList: swap(p.defaultList), sessions };
}

export function withSession(p: PrivacyPolicy, base: { conn: string; jid: string }, patch: Partial<PrivacySession>): PrivacyPolicy {
  const current = p.sessions.get(base.conn) ?? { ...base, active: null, invisible: false, allowed: [], blocklistInterest: false };
  return { ...p, sessions: new Map([...p.sessions, [base.conn, { ...current, ...patch }]]) };
}

/** Apply the change; returns what must follow the IQ result (current presence to who can now see it). */
export async function changePolicy(ctx: PresenceIqRequest, change: PolicyChange): Promise<() => Promise<void>> {
  const { env, key } = ctx;
  const before = (await env.store.privacy.policies([key])).get(key)!;
  const after = change.apply(before);
  const ours = (await env.location.resources(key)).filter((r) => r.available);
  const subscribers = ctx.roster.items().filter((i) => i.subscription === 'from' || i.subscription === 'both');
  const lost: Array<[string, string]> = [];
  const gained: Array<[string, string]> = [];
  for (const r of ours) {
    for (const { contact } of subscribers) {
      const roster = rosterLookup(env.store, key, contact);
      const was = await shows(before, before.sessions.get(r.conn), contact, roster);
      const now = await shows(after, after.sessions.get(r.conn), contact, roster);
      if (was && !now) lost.push([contact, r.jid]);
      if (!was && now) gained.push([contact, r.jid]);
    }
  }
  for (const [contact, from] of lost) await ctx.presence.unavailableTo(contact, from);
  await change.save();
  return async () => {
    for (const [contact, from] of gained) await ctx.presence.currentTo(contact, from);
  };
}

/** Apply the change and answer; the pushes, then the presence to whom now sees the account, follow the result. */
export async function answerChange(ctx: PresenceIqRequest, change: PolicyChange, pushes: () => Promise<void>): Promise<IqOutcome> {
  const announce = await changePolicy(ctx, change);
  return {
    result: [],
    after: async () => {
      await pushes();
      await announce();
    },
  };
}
