// XEP-0054 vCard-temp, kept by the server for each account (§3), and the vCard-based avatars of
// XEP-0153 (which live inside the vCard's PHOTO).
//
// Choices, with the reason (docs/profile.md):
// - A vCard nobody stored is answered <item-not-found/>: §3.1 allows an error or an empty vCard
//   and says the error SHOULD be item-not-found (Prosody's choice too).
// - A requester the owner blocks (XEP-0191, or a XEP-0016 default list denying IQs) gets exactly
//   that answer too, so a blocked contact cannot tell "blocked" from "has no vCard".
// - The owner's own get and set run in her presence actor (like her PEP requests), so a set and a
//   PEP publish of the same account are never interleaved: the XEP-0398 conversion
//   (avatar-conversion/) listens to sets here and adds the XEP-0153 hash to her presence there.
//   Another account's get stays in the owner's session actor (RFC 6121 §8.5.2.1.3).
import { type ExtensionModule, HANDLED, type InboundStanza, type IqOutcome, PASS, type PresenceIqRequest, type SessionIqRequest } from '@parley/ext';
import { bareOf } from '@parley/jid';
import { type Element, parseFragment, xml } from '@parley/xml';
import { rosterLookup } from './privacy/policy.ts';
import { allows } from './privacy/rules.ts';

export const NS_VCARD = 'vcard-temp';
export const NS_VCARD_UPDATE = 'vcard-temp:x:update';

const notFound = (): IqOutcome => ({ error: 'item-not-found', text: 'no vCard' });

/** Told, in the owner's presence actor and after the result, that she stored this vCard. */
export type VcardListener = (ctx: PresenceIqRequest, vcard: Element) => Promise<void>;

async function read(ctx: { env: { store: SessionIqRequest['env']['store'] } }, owner: string): Promise<IqOutcome> {
  const stored = await ctx.env.store.vcards.get(owner);
  if (stored === null) return notFound();
  // Stored by us after the size check: parse with room for the largest allowed vCard.
  return { result: [parseFragment(stored, { maxStanzaBytes: Math.max(stored.length * 4 + 1, 262144) })] };
}

/** Whether the owner's default privacy (blocking included) lets `from` send IQs to the account (XEP-0016 §2.11, XEP-0191 §3.5). */
async function blockedBy(s: InboundStanza, from: string): Promise<boolean> {
  const policy = (await s.env.store.privacy.policies([s.key])).get(s.key);
  if (!policy?.defaultList) return false;
  return !(await allows(policy.defaultList, 'iq', from, rosterLookup(s.env.store, s.key, from)));
}

/** An explicit `to` other than the sender's own bare JID addresses the domain, whose vCard is not kept. */
const toDomain = (ctx: PresenceIqRequest) => {
  const to = ctx.iq.attr('to');
  return to !== undefined && bareOf(to) !== ctx.from.bareString();
};

export function vcardTemp(opts: { maxBytes: number; listeners?: VcardListener[] }): ExtensionModule {
  const listeners = opts.listeners ?? [];
  return {
    name: 'vcard-temp',
    specs: ['XEP-0054', 'XEP-0153'],
    disco: [{ on: ['server', 'own-account', 'account'], features: [NS_VCARD] }],
    settings: ['vcardMaxBytes'],
    storage: ['vcards'],
    presence: {
      iq: [
        {
          // §3.1 own vCard (to = own bare JID, or no to); the domain's vCard is not kept.
          scope: ['server'],
          type: 'get',
          name: 'vCard',
          xmlns: NS_VCARD,
          // No `to` is the user's own account (RFC 6120 §10.3.3); an explicit `to` of the domain asks for the server's.
          handle: (ctx) => (toDomain(ctx) ? notFound() : read(ctx, ctx.from.bareString())),
        },
        {
          // §3.2: a user sets her own vCard, by an IQ without `to` (or to her own bare JID).
          scope: ['server'],
          type: 'set',
          name: 'vCard',
          xmlns: NS_VCARD,
          handle: async (ctx) => {
            if (toDomain(ctx)) return { error: 'not-allowed', text: "the server's vCard cannot be set" };
            const text = ctx.payload.toString();
            if (Buffer.byteLength(text) > opts.maxBytes) return { error: 'not-acceptable', text: `the vCard is larger than ${opts.maxBytes} bytes` };
            await ctx.env.store.vcards.set(ctx.from.bareString(), text);
            const vcard = ctx.payload;
            return {
              result: [],
              after: async () => {
                for (const l of listeners) await l(ctx, vcard);
              },
            };
          },
        },
      ],
    },
    session: {
      iq: [
        // §3.1 another user's vCard (the 'before-route' hook below answered a blocked requester already).
        { scope: ['account'], type: 'get', name: 'vCard', xmlns: NS_VCARD, handle: (ctx) => read(ctx, ctx.to.bareString()) },
        // §3.2: nobody sets another user's vCard.
        { scope: ['account'], type: 'set', name: 'vCard', xmlns: NS_VCARD, handle: () => ({ error: 'forbidden' }) },
      ],
      async beforeRoute(s) {
        const { stanza } = s;
        if (stanza.name !== 'iq' || stanza.attr('type') !== 'get' || !stanza.getChild('vCard', NS_VCARD)) return PASS;
        const to = stanza.attr('to');
        const from = stanza.attr('from');
        if (!from || !to || to.includes('/') || bareOf(from) === s.key) return PASS;
        if (!(await blockedBy(s, from))) return PASS;
        // The same answer as for an account without a vCard (module comment above).
        s.env.fail(stanza, s.origin, 'item-not-found', 'no vCard');
        return HANDLED;
      },
    },
  };
}

/** XEP-0153 §3.2: the hash a client advertises for a vCard's photo is the SHA-1 of the image bytes; exported for tests. */
export function vcardUpdate(hash: string | null) {
  return xml('x', { xmlns: NS_VCARD_UPDATE }, xml('photo', {}, hash ?? undefined));
}
