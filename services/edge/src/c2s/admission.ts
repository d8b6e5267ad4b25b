// Stanza admission on an established stream, as one function: what arrives from the client is
// either routed to its owning actor, answered here, dropped, or a stream error (RFC 6120 §8).
import type { EdgeExtensions, LocalIq } from '@parley/ext';
import { addressOf, type Jid, tryParseJid } from '@parley/jid';
import { NS, type StanzaErrorCondition, type StreamErrorCondition } from '@parley/stanza';
import type { ActorService } from '@parley/subjects';
import type { Element } from '@parley/xml';

export type Admission =
  | { kind: 'stream-error'; condition: StreamErrorCondition; text: string }
  /** Answer the client with a stanza error. */
  | { kind: 'refuse'; condition: StanzaErrorCondition; text: string }
  /** Answered at the edge with this stanza (e.g. a limit's error). */
  | { kind: 'reply'; reply: Element }
  /** Answered at the edge by a module (e.g. the legacy session IQ, XEP-0077 password change). */
  | { kind: 'local'; local: LocalIq }
  /** Nothing to do (e.g. presence to a domain we cannot reach). */
  | { kind: 'drop' }
  | { kind: 'route'; service: ActorService; key: string };

const IQ_TYPES = new Set(['get', 'set', 'result', 'error']);
/** RFC 6121 §4.7.1 (no type: available). */
const PRESENCE_TYPES = new Set(['error', 'probe', 'subscribe', 'subscribed', 'unavailable', 'unsubscribe', 'unsubscribed']);

/**
 * Admit a client stanza. On success `el` has been stamped in place: `from` is the session's full
 * JID (RFC 6120 §8.1.2.1) and `to` is prepared (RFC 7622).
 */
export function admit(el: Element, session: Jid, domain: string, ext: EdgeExtensions, roomService: string | null = null, federated = false): Admission {
  if (el.getNS() !== NS.client || !(el.name === 'message' || el.name === 'presence' || el.name === 'iq')) {
    return { kind: 'stream-error', condition: 'unsupported-stanza-type', text: `${el.name} is not a stanza this server accepts` }; // §4.9.3.23
  }
  // §8.1.2.1: a from that is not the session's JID is a spoofing attempt.
  const from = el.attr('from');
  if (from !== undefined) {
    const parsed = tryParseJid(from);
    if (!parsed || !(parsed.equals(session) || (parsed.isBare() && parsed.equals(session.bare)))) {
      return { kind: 'stream-error', condition: 'invalid-from', text: 'the from address does not match this session' };
    }
  }
  el.setAttr('from', session.toString());

  let payload: Element | undefined;
  if (el.name === 'iq') {
    const type = el.attr('type');
    // §8.2.3: id and type are required; get/set carry exactly one payload.
    if (!el.attr('id') || !type || !IQ_TYPES.has(type)) return refuse('bad-request', 'an IQ needs an id and a type of get, set, result or error');
    if (type === 'get' || type === 'set') {
      const children = el.getChildElements();
      if (children.length !== 1) return refuse('bad-request', 'an IQ get or set must have exactly one child');
      payload = children[0];
    }
  }

  // RFC 6120 §8.3.3.1: a presence type RFC 6121 §4.7.1 does not define is bad-request.
  if (el.name === 'presence') {
    const type = el.attr('type');
    if (type !== undefined && !PRESENCE_TYPES.has(type)) return refuse('bad-request', `${type} is not a presence type`);
  }

  const toRaw = el.attr('to');
  if (toRaw !== undefined) {
    const to = tryParseJid(toRaw);
    if (!to) return refuse('jid-malformed', 'the to address is not a valid JID');
    el.setAttr('to', to.toString());
  }
  const sender = session.bareString();
  const to = addressOf(el.attr('to'), sender, domain, roomService);
  if (to.kind === 'remote') {
    // Presence goes to the sender's presence actor (below), messages and IQs to her session actor: each
    // applies her privacy lists (XEP-0016 §2.14, XEP-0191 §3.3) before the federation service takes them.
    if (el.name !== 'presence') {
      if (federated) return { kind: 'route', service: 'session', key: sender };
      // §8.3.3.19: federation is off on this server.
      return refuse('remote-server-not-found', 'federation is not enabled on this server');
    }
    if (!federated) return { kind: 'drop' };
  }

  // XEP-0045: everything for the chatroom service or one of its rooms goes to the room's actor
  // (the service's own address has an actor too: its disco and the room directory).
  if (to.kind === 'room') return { kind: 'route', service: 'chatroom', key: to.room };
  const toServer = to.kind === 'server' || to.kind === 'own-bare';
  if (payload && toServer) {
    const local = ext.localIq('established', el.attr('type')!, payload.getNS(), payload.name);
    if (local) return { kind: 'local', local };
  }
  // ARCHITECTURE.md, path of a stanza §2: presence to the sender's presence actor (outbound
  // processing, RFC 6121 §3-4); IQs the server answers for the sender to the actor whose module
  // handles them; messages and IQs to another account to the recipient's session actor (§8).
  if (el.name === 'presence') return { kind: 'route', service: 'presence', key: sender };
  if (toServer) {
    const service = payload ? ext.serverIqService(payload.getNS(), payload.name) : 'session';
    return { kind: 'route', service: el.name === 'iq' ? service : 'session', key: sender };
  }
  if (to.kind === 'remote') return { kind: 'drop' }; // presence was routed above
  return { kind: 'route', service: 'session', key: to.bare };
}

const refuse = (condition: StanzaErrorCondition, text: string): Admission => ({ kind: 'refuse', condition, text });
