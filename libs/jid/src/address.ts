// The one routing decision on a stamped stanza's `to` (RFC 6120 §10.3-10.5, RFC 6121 §8.5):
// the edge uses it to pick the owning actor, the actors to pick local handling, so they agree.

/** Bare JID of a prepared JID string (the part before the first '/'). */
export function bareOf(jid: string): string {
  const slash = jid.indexOf('/');
  return slash < 0 ? jid : jid.slice(0, slash);
}

export type Addressee =
  /** No `to`, the domain, or `domain/resource`: the server answers (RFC 6120 §10.3). */
  | { kind: 'server' }
  /** The sender's own bare JID: the server answers on the account's behalf (RFC 6121 §8.5.2). */
  | { kind: 'own-bare'; bare: string }
  /** Another local account's bare JID. */
  | { kind: 'bare'; bare: string }
  /** A full JID of a local account (possibly one of the sender's own resources). */
  | { kind: 'full'; bare: string; full: string }
  /** Another domain (RFC 6120 §10.4). */
  | { kind: 'remote'; domain: string }
  /**
   * The local chatroom service (XEP-0045): a room (`room@service`, `nick` set for an occupant's
   * address) or the service itself (`room` is the service domain).
   */
  | { kind: 'room'; room: string; nick: string | null };

const SERVER: Addressee = { kind: 'server' };

/**
 * Classify a prepared `to` relative to the sender's bare JID and the local domain. Cheap string
 * work only: `to` has been prepared (RFC 7622) by the edge already.
 */
export function addressOf(to: string | undefined, senderBare: string, domain: string, roomService?: string | null): Addressee {
  if (to === undefined || to === domain) return SERVER;
  const bare = bareOf(to);
  const at = bare.indexOf('@');
  const host = at < 0 ? bare : bare.slice(at + 1);
  if (host !== domain) {
    if (roomService && host === roomService) return { kind: 'room', room: bare, nick: bare.length === to.length ? null : to.slice(bare.length + 1) };
    return { kind: 'remote', domain: host };
  }
  if (at < 0) return SERVER;
  if (bare.length !== to.length) return { kind: 'full', bare, full: to };
  return bare === senderBare ? { kind: 'own-bare', bare } : { kind: 'bare', bare };
}

