// Publisher control (issue 15 item 5): the ad-hoc command (XEP-0050) `list-subscribers` shows a user
// who receives her presence (roster subscription from|both, RFC 6121 §2.1.2.1) and lets her cancel any
// of them. A cancellation is her `unsubscribed` (RFC 6121 §3.2) handed to her presence actor as if her
// client had sent it: the actor owns the roster and already does what §3.2 asks (the roster push to her
// resources, unavailable presence to the contact, the `unsubscribed` forwarded to the contact's server).
import type { ExtensionModule, SessionIqRequest } from '@parley/ext';
import { xml } from '@parley/xml';
import { type AdhocCommand, type CommandRegistry, type CommandStep, dataForm } from '../adhoc/index.ts';

export const LIST_SUBSCRIBERS_NODE = 'list-subscribers';
const NS_CLIENT = 'jabber:client';

/** Her subscribers, as the durable roster records them (the presence actor writes through to the store). */
async function subscribersOf(ctx: SessionIqRequest): Promise<string[]> {
  return (await ctx.env.store.roster.subscribers(ctx.from.bareString())).sort();
}

function listForm(subscribers: string[]) {
  return dataForm('form', {
    title: 'Who sees your presence',
    instructions: subscribers.length
      ? 'These contacts are subscribed to your presence. Select the ones that should no longer see it.'
      : 'Nobody is subscribed to your presence.',
    fields: [
      { var: 'subscribers', type: 'list-multi', label: 'Cancel the subscription of', value: [], options: subscribers.map((jid) => ({ label: jid, value: jid })) },
    ],
  });
}

export function listSubscribersCommand(): AdhocCommand<{ offered: string[] }> {
  return {
    node: LIST_SUBSCRIBERS_NODE,
    name: 'List and cancel presence subscribers',
    // Only this server's own accounts have a roster here.
    allowed: (ctx) => ctx.from.local !== null && ctx.from.domain === ctx.domain && ctx.from.resource !== null,
    async start(ctx) {
      const offered = await subscribersOf(ctx);
      return { status: 'executing', state: { offered }, actions: ['complete'], form: listForm(offered) };
    },
    async next(ctx, { values, state }): Promise<CommandStep<{ offered: string[] }>> {
      if (!values) return { status: 'error', condition: 'bad-request', text: 'submit the form', badPayload: true };
      const chosen = [...new Set(values.get('subscribers') ?? [])];
      // XEP-0004 §3.3: a list-multi value must be one of the options offered.
      const unknown = chosen.filter((jid) => !state.offered.includes(jid));
      if (unknown.length) return { status: 'error', condition: 'bad-request', text: `not a subscriber: ${unknown.join(', ')}`, badPayload: true };
      if (!ctx.origin) return { status: 'error', condition: 'internal-server-error', text: 'no session to act for' };
      const current = new Set(await subscribersOf(ctx));
      const cancelled: string[] = [];
      for (const contact of chosen) {
        if (!current.has(contact)) continue; // cancelled meanwhile: nothing left to do
        // RFC 6121 §3.2.1: the user's `unsubscribed`, processed by her presence actor (§3.2.2-3.2.3 follow there).
        const stanza = xml('presence', { xmlns: NS_CLIENT, type: 'unsubscribed', from: ctx.from.toString(), to: contact });
        ctx.env.tell('presence', { kind: 'stanza', key: ctx.from.bareString(), stanza, origin: ctx.origin });
        cancelled.push(contact);
      }
      const left = [...current].filter((c) => !cancelled.includes(c)).sort();
      const result = dataForm('result', {
        title: 'Subscriptions cancelled',
        fields: [
          { var: 'cancelled', type: 'jid-multi', label: 'Cancelled', value: cancelled },
          { var: 'subscribers', type: 'jid-multi', label: 'Still subscribed', value: left },
        ],
      });
      const text = cancelled.length ? `Cancelled ${cancelled.length} subscription(s).` : 'Nothing was cancelled.';
      return { status: 'completed', form: result, notes: [{ type: 'info', text }] };
    },
  };
}

/** Registers the command with the ad-hoc framework; the module itself has no handlers of its own. */
export function subscribers(opts: { commands: CommandRegistry }): ExtensionModule {
  opts.commands.register(listSubscribersCommand());
  return { name: 'subscribers', specs: ['XEP-0050', 'RFC 6121 §3.2'] };
}
