// XEP-0186 invisible command: a session that looks offline to everyone it did not send directed
// presence to (§3.1.1), enforced with the privacy lists by the privacy module (enforce.ts) on
// every channel listed in docs/privacy.md. Both namespaces are answered: :0 (the stored XEP text)
// and :1 (version 0.14); the `probe` attribute of :1 is accepted, and contacts' presence comes as
// usual once the client sends its own presence.
import { type ExtensionModule, HANDLED, type IqHandler, PASS, type PresenceIqRequest } from '@parley/ext';
import { bareOf } from '@parley/jid';
import { jidMatches } from './rules.ts';

export const NS_INVISIBLE = ['urn:xmpp:invisible:0', 'urn:xmpp:invisible:1'];

async function sessionOfOrigin(ctx: { env: PresenceIqRequest['env']; key: string; origin: { conn: string } }) {
  return (await ctx.env.store.privacy.policies([ctx.key])).get(ctx.key)!.sessions.get(ctx.origin.conn);
}

const invisible = (xmlns: string): IqHandler<PresenceIqRequest> => ({
  scope: ['server'],
  type: 'set',
  name: 'invisible',
  xmlns,
  async handle(ctx) {
    const entry = (await ctx.env.location.resources(ctx.key)).find((r) => r.conn === ctx.origin.conn);
    // §3.1: entering invisibility mid-session sends unavailable to whoever would get it on logout.
    if (entry?.available && !(await sessionOfOrigin(ctx))?.invisible) await ctx.presence.goneFrom(ctx.origin);
    await ctx.env.store.privacy.patchSession(ctx.key, ctx.origin, { invisible: true, allowed: [] });
    return { result: [] };
  },
});

const visible = (xmlns: string): IqHandler<PresenceIqRequest> => ({
  scope: ['server'],
  type: 'set',
  name: 'visible',
  xmlns,
  async handle(ctx) {
    await ctx.env.store.privacy.patchSession(ctx.key, ctx.origin, { invisible: false, allowed: [] });
    // §3.2: as before initial presence; the client sends presence when it wants to be seen.
    return { result: [], ownResource: { available: false, presence: undefined } };
  },
});

export const invisibility: ExtensionModule = {
  name: 'invisibility',
  specs: ['XEP-0186'],
  disco: [{ on: ['server'], features: NS_INVISIBLE }],
  presence: {
    iq: NS_INVISIBLE.flatMap((ns) => [invisible(ns), visible(ns)]),
    /**
     * §3.1.1 rules 2 and 8: directed presence from an invisible session shows it to the addressee;
     * a directed unavailable goes only to an entity that was shown, and hides the session again.
     */
    async outbound({ env, key, stanza, origin }) {
      const type = stanza.attr('type');
      const to = stanza.attr('to');
      if (!to || bareOf(to) === key || (type !== undefined && type !== 'unavailable')) return PASS;
      const session = await sessionOfOrigin({ env, key, origin });
      if (!session?.invisible) return PASS;
      if (type === undefined) {
        if (!session.allowed.includes(to)) await env.store.privacy.patchSession(key, origin, { allowed: [...session.allowed, to] });
        return PASS;
      }
      const shown = session.allowed.filter((a) => jidMatches(a, to) || jidMatches(to, a));
      if (shown.length === 0) return HANDLED;
      const targets = (await env.location.resources(bareOf(to))).filter((r) => r.available && (r.jid === to || to === bareOf(to)));
      env.publish(targets, stanza.toString(), false);
      await env.store.privacy.patchSession(key, origin, { allowed: session.allowed.filter((a) => !shown.includes(a)) });
      return HANDLED;
    },
  },
};
