// XEP-0379 pre-authenticated roster subscriptions. An inviter hands out
// `xmpp:alice@example.com?roster;preauth=TOKEN` (§2); the invitee's client sends its subscription
// request with <preauth xmlns='urn:xmpp:pars:0' token='TOKEN'/> (§3). The inviter's server checks the
// token (single use, unexpired, unrevoked, issued by this inviter), approves the request on her behalf
// and subscribes her back (§4: "the contact's server ... SHOULD also send a subscription request"),
// so the subscription is mutual without either client asking its user. Tokens are issued by
// administrators (`parley invite`) and stored as digests (migration 0013).
import { type ExtensionModule, PASS } from '@parley/ext';
import { bareOf } from '@parley/jid';
import { NS } from '@parley/stanza';
import { invitationDigest, type RosterItem } from '@parley/store';
import { type Element, xml } from '@parley/xml';

export const NS_PARS = 'urn:xmpp:pars:0';

/** The token a subscription request carries, if any (XEP-0379 §3). */
function tokenOf(stanza: Element): string | undefined {
  const t = stanza.getChild('preauth', NS_PARS)?.attr('token');
  return t && t.length <= 256 ? t : undefined;
}

const emptyItem = (contact: string): RosterItem => ({ contact, name: null, subscription: 'none', ask: null, pendingIn: false, approved: false, groups: [], hidden: false });

export const invitations: ExtensionModule = {
  name: 'invitations',
  specs: ['XEP-0379'],
  disco: [{ on: ['server'], features: [NS_PARS] }],
  presence: {
    // The invitee's side: asking with a token means she wants the inviter's request back approved too
    // (RFC 6121 §3.4 pre-approval), so the returning request completes the mutual subscription.
    async outbound({ stanza, roster }) {
      if (stanza.attr('type') !== 'subscribe' || tokenOf(stanza) === undefined) return PASS;
      const inviter = bareOf(stanza.attr('to') ?? '');
      if (!inviter.includes('@')) return PASS;
      const item = roster.get(inviter) ?? emptyItem(inviter);
      if (item.subscription !== 'from' && item.subscription !== 'both' && !item.approved) await roster.save({ ...item, approved: true });
      return PASS;
    },
    // The inviter's side.
    async inbound({ env, key, stanza, roster }) {
      if (stanza.attr('type') !== 'subscribe') return PASS;
      const token = tokenOf(stanza);
      if (token === undefined) return PASS;
      const invitee = bareOf(stanza.attr('from') ?? '');
      const current = roster.get(invitee);
      if (current && (current.subscription === 'from' || current.subscription === 'both')) return PASS; // already approved
      const inv = await env.store.invitations.redeem(invitationDigest(token), invitee, { kind: 'roster', inviter: key });
      if (!inv) {
        // §3: an unknown, used, expired, revoked or another inviter's token leaves an ordinary request for the user to answer.
        env.log.info('subscription request with an invalid invitation token', { owner: key, from: invitee });
        return PASS;
      }
      env.log.info('invitation redeemed', { owner: key, invitee, invitation: inv.id });
      // Pre-approve, then let the actor process the request: it answers `subscribed` and sends her presence.
      const item = current ?? emptyItem(invitee);
      const mutual = item.subscription === 'to' || item.ask === 'subscribe';
      await roster.save({ ...item, approved: true, hidden: false, ask: mutual ? item.ask : 'subscribe' });
      if (!mutual) {
        env.tell('presence', { kind: 'presence-in', key: invitee, stanza: xml('presence', { xmlns: NS.client, type: 'subscribe', from: key, to: invitee }) });
      }
      return PASS;
    },
  },
};
