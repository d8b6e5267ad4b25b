// XEP-0379 pre-authenticated roster subscriptions. An inviter hands out
// `xmpp:alice@example.com?roster;preauth=TOKEN` (§2); the invitee's client sends its subscription
// request with <preauth xmlns='urn:xmpp:pars:0' token='TOKEN'/> (§3). The inviter's server checks the
// token (single use, unexpired, unrevoked, issued by this inviter), approves the request on her behalf
// and subscribes her back (§4: "the contact's server ... SHOULD also send a subscription request"),
// so the subscription is mutual without either client asking its user. Tokens are issued by
// administrators (`parley invite`) and users (XEP-0401 command) and stored as digests (migration 0013).
// An account invitation from a user (XEP-0401 §5.1 `ibr=y`) works the same for someone who has an
// account already; one who registers with it (extensions/src/register) becomes the inviter's mutual
// contact at her first login (#15 item 8), here, as if her client had subscribed with a fresh token.
import { type ExtensionModule, PASS } from '@parley/ext';
import { bareOf } from '@parley/jid';
import { NS } from '@parley/stanza';
import { invitationDigest, issueRosterInvitation, type RosterItem } from '@parley/store';
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
    // First login of an account registered with a user's invitation: subscribe to the inviter with a
    // single-use token of hers, through the account's own presence actor as its client would (the
    // outbound hook below pre-approves her; her inbound hook redeems it and subscribes back).
    async available({ env, key, origin }) {
      const inviter = await env.store.invitations.settle(key);
      if (!inviter) return;
      const inv = await issueRosterInvitation(env.store.invitations, { domain: env.domain, inviter, ttlMs: 86_400_000, createdBy: `first login of ${key}` });
      env.log.info('account invitation settled: subscribing to the inviter', { account: key, inviter });
      const stanza = xml('presence', { xmlns: NS.client, type: 'subscribe', from: origin.jid, to: inviter }, xml('preauth', { xmlns: NS_PARS, token: inv.token }));
      env.tell('presence', { kind: 'stanza', key, stanza, origin });
    },
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
      const digest = invitationDigest(token);
      const inv =
        (await env.store.invitations.redeem(digest, invitee, { kind: 'roster', inviter: key })) ??
        // XEP-0401 §5.1: an account invitation (ibr=y) may be used by someone who has an account already.
        (await env.store.invitations.redeem(digest, invitee, { kind: 'account', inviter: key }));
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
