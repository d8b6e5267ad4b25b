// What an actor sends, in one place for every actor service: deliveries grouped per edge, answers
// to the sending connection, stanza errors, requests to other actors, and the account check.
import type { Bus } from '@parley/bus';
import type { LocationService, ResourcePatch } from '@parley/location';
import { mayReplyWithError, type StanzaErrorCondition, stanzaErrorReply } from '@parley/stanza';
import { type ActorService, actorSubject, edgeSubject, relaySubject } from '@parley/subjects';
import { type ActorRequest, deliveriesByEdge, type Origin, type WireMessage } from '@parley/wire';
import type { Element } from '@parley/xml';

export interface Recipient {
  edge: string;
  conn: string;
  jid: string;
}

export interface PublishOptions {
  /** Hand-off or delivery id: the edge drops a second delivery of it to the same connection. */
  id?: string;
  /** Stamp each recipient's full JID as `to` (broadcasts); otherwise the stanza's own `to` stays. */
  stampRecipient?: boolean;
  /** A broadcast along this publisher's pruned presence tree: edges report connections they do not hold. */
  tree?: string;
  /** Hierarchical fan-out: with more edges than this, groups of this many deliveries go to relays. */
  relayAbove?: number;
}

export interface ActorOutput {
  /** One bus message per edge holding recipients (ARCHITECTURE.md, path of a stanza §4); returns how many it published. */
  publish(recipients: Iterable<Recipient>, xml: string | string[], opts?: PublishOptions): number;
  /** Send a stanza to the connection a request came from. */
  answer(origin: Origin | undefined, el: Element): void;
  /** RFC 6120 §8.3: an error reply to the sender, unless the stanza must not be answered with one. */
  fail(stanza: Element, origin: Origin | undefined, condition: StanzaErrorCondition, text?: string, appCondition?: Element): void;
  /** A request to another actor, not awaited: two actors waiting on each other would deadlock. */
  tell(service: ActorService, msg: ActorRequest, onError: (err: Error) => void): void;
}

export function actorOutput(bus: Bus<WireMessage>): ActorOutput {
  const answer = (origin: Origin | undefined, el: Element) => {
    if (origin) bus.publish(edgeSubject(origin.edge), { kind: 'deliver', xml: el.toString(), targets: [{ conn: origin.conn }] });
  };
  return {
    publish(recipients, xml, opts = {}) {
      const deliveries = deliveriesByEdge(recipients, xml, opts);
      const group = opts.relayAbove;
      if (group === undefined || deliveries.length <= group) {
        for (const { edge, msg } of deliveries) bus.publish(edgeSubject(edge), msg);
        return deliveries.length;
      }
      let sent = 0;
      for (let i = 0; i < deliveries.length; i += group) {
        bus.publish(relaySubject(), { kind: 'relay', deliveries: deliveries.slice(i, i + group) });
        sent++;
      }
      return sent;
    },
    answer,
    fail(stanza, origin, condition, text, appCondition) {
      // No `to` means the server itself; the reply then carries no `from` either (RFC 6120 §8.1.2.1).
      if (mayReplyWithError(stanza)) answer(origin, stanzaErrorReply(stanza, condition, { text, appCondition }));
    },
    tell(service, msg, onError) {
      bus.request(actorSubject(service, msg.key), msg, { timeoutMs: 10_000 }).catch(onError);
    },
  };
}

/**
 * Change the location entry of the connection a request came from, and tell its edge, which keeps
 * a copy to register again should the location service lose it. The edge is told even when the
 * entry is missing: during such a loss the edge's copy is the only one.
 */
export async function patchOrigin(bus: Bus<WireMessage>, location: LocationService, origin: Origin, patch: ResourcePatch): Promise<boolean> {
  const done = await location.update(origin.jid, origin.conn, patch);
  const wire: Record<string, string | number | boolean | null> = {};
  for (const [k, v] of Object.entries(patch)) wire[k] = v ?? null;
  bus.publish(edgeSubject(origin.edge), { kind: 'entry', conn: origin.conn, patch: wire });
  return done;
}

/** An actor key names a local account if its domain is ours and the account exists in the store. */
export async function isLocalAccount(key: string, domain: string, users: { exists(username: string, domain: string): Promise<boolean> }): Promise<boolean> {
  const at = key.indexOf('@');
  return at > 0 && key.slice(at + 1) === domain && users.exists(key.slice(0, at), domain);
}

/**
 * A connection ended (closed, or its edge died): its presence actor broadcasts unavailable, and
 * when XEP-0198 kept deliveries for it, its session actor routes them again. The one fan-out used
 * by edges and by the dead-edge reaper.
 */
export function announceResourceGone(
  bus: Bus<WireMessage>,
  r: { jid: string; conn: string; edge: string; available: boolean; sm?: boolean },
  onError: (err: Error, service: ActorService) => void,
): Promise<void> {
  const key = r.jid.slice(0, r.jid.indexOf('/'));
  const msg: ActorRequest = { kind: 'resource-gone', key, jid: r.jid, conn: r.conn, edge: r.edge, available: r.available };
  const ask = (service: ActorService, m: ActorRequest) =>
    bus.request(actorSubject(service, key), m, { timeoutMs: 10_000 }).then(
      () => undefined,
      (err: Error) => onError(err, service),
    );
  const presence = ask('presence', msg);
  if (r.sm) void presence.then(() => ask('session', { ...msg, available: false }));
  return presence;
}
