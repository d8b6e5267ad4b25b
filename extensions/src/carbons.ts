// XEP-0280 message carbons, whole: the enable/disable IQ (§4) and the copies (§6).
import type { ExtensionModule, IqHandler, RoutedMessage, SessionIqRequest } from '@parley/ext';
import { bareOf } from '@parley/jid';
import { NS } from '@parley/stanza';
import { type Element, xml } from '@parley/xml';

/** §4: a resource enables or disables carbons for itself (a flag on its location entry). */
const toggle = (name: 'enable' | 'disable'): IqHandler<SessionIqRequest> => ({
  scope: ['server'],
  type: 'set',
  name,
  xmlns: NS.carbons,
  handle: () => ({ result: [], ownResource: { carbons: name === 'enable' } }),
});

/**
 * §6.1: chat messages, and normal ones with a body, are copied unless marked private (§7) or
 * no-copy (XEP-0334), and not MUC traffic or carbons themselves.
 */
export function carbonEligible(stanza: Element): boolean {
  const type = stanza.attr('type') ?? 'normal';
  if (type !== 'chat' && !(type === 'normal' && stanza.getChild('body'))) return false;
  if (stanza.getChild('private', NS.carbons) || stanza.getChild('no-copy', NS.hints)) return false;
  if (stanza.getChild('received', NS.carbons) || stanza.getChild('sent', NS.carbons)) return false;
  return !stanza.getChild('x', 'http://jabber.org/protocol/muc#user');
}

const localSender = (m: { origin?: { jid: string } }, domain: string): string | null => {
  const sender = m.origin ? bareOf(m.origin.jid) : null;
  return sender?.endsWith(`@${domain}`) ? sender : null;
};

/**
 * §6: copies go to the recipient's other carbons-enabled resources (`received`) and to the
 * sender's (`sent`), from the owner's bare JID so clients can check it (§11), each stamped with
 * the receiving resource's full JID.
 */
async function sendCopies(m: RoutedMessage): Promise<void> {
  // Nobody involved has carbons on (the common case): nothing to check or copy.
  let anyone = false;
  for (const rs of m.where.values()) if (rs.some((r) => r.carbons)) anyone = true;
  if (!anyone || !carbonEligible(m.stanza)) return;
  const wrap = (kind: 'received' | 'sent', owner: string) =>
    xml('message', { xmlns: NS.client, from: owner, type: m.stanza.attr('type') ?? 'normal' }, xml(kind, { xmlns: NS.carbons }, xml('forwarded', { xmlns: NS.forward }, m.stanza))).toString();
  const got = new Set(m.deliveredTo.map((r) => r.conn));
  const received = (m.where.get(m.key) ?? []).filter((r) => r.carbons && !got.has(r.conn));
  if (received.length) await m.env.publish(received, wrap('received', m.key), { stampRecipient: true });
  const sender = localSender(m, m.env.domain);
  if (!sender || !m.origin) return;
  const origin = m.origin.conn;
  const sent = (m.where.get(sender) ?? []).filter((r) => r.carbons && r.conn !== origin && !got.has(r.conn));
  if (sent.length) await m.env.publish(sent, wrap('sent', sender), { stampRecipient: true });
}

export const carbons: ExtensionModule = {
  name: 'carbons',
  specs: ['XEP-0280'],
  disco: [{ on: ['server', 'own-account'], features: [NS.carbons] }],
  edge: {
    // XEP-0280 §4 with XEP-0386 §2.3: <enable/> inside a Bind2 request turns carbons on for the
    // new resource (nothing goes into <bound/>).
    bind2Inline: [NS.carbons],
    connection: (api) => ({
      xmlns: NS.carbons,
      bindInline: (el) => {
        if (el.is('enable', NS.carbons)) api.patchEntry({ carbons: true });
        return null;
      },
    }),
  },
  session: {
    iq: [toggle('enable'), toggle('disable')],
    // The sender's resources come in the same location round trip as the recipient's.
    lookups: (s) => {
      const sender = carbonEligible(s.stanza) ? localSender(s, s.env.domain) : null;
      return sender ? [sender] : [];
    },
    afterMessage: sendCopies,
  },
};
