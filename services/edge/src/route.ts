import type { Jid } from '@parley/jid';
import { NS } from '@parley/stanza';
import type { ActorService } from '@parley/subjects';
import type { Element } from '@parley/xml';

/**
 * Which actor owns a stamped client stanza (ARCHITECTURE.md, path of a stanza §2):
 * presence and the roster go to the sender's presence actor (outbound processing, RFC 6121 §3-4);
 * IQs the server answers for the sender go to the sender's session actor; messages and IQs to
 * another account go to the recipient's session actor (inbound processing, RFC 6121 §8).
 * `to` has already been prepared and checked to be local.
 */
export function routeFor(stanza: Element, from: Jid, domain: string): { service: ActorService; key: string } {
  const sender = from.bareString();
  if (stanza.name === 'presence') return { service: 'presence', key: sender };
  const to = stanza.attr('to');
  const toServer = to === undefined || to === domain || to === sender;
  if (stanza.name === 'iq' && toServer && stanza.getChild('query', NS.roster)) return { service: 'presence', key: sender };
  if (to === undefined || to === domain) return { service: 'session', key: sender };
  const slash = to.indexOf('/');
  const bare = slash < 0 ? to : to.slice(0, slash);
  // A domain with a resource (domain/resource) is the server too.
  if (bare === domain) return { service: 'session', key: sender };
  return { service: 'session', key: bare };
}
