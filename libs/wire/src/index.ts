// The messages that cross the bus between Parley services, and their byte codec.
// In embedded mode they travel as objects (no copy, no serialization); over NATS they are
// JSON with the stanza carried as serialized XML and re-parsed (with the same limits) on arrival.
import { type Element, parseFragment } from '@parley/xml';

/** Where a stanza came from: the sending connection, so an actor can answer it directly. */
export interface Origin {
  edge: string;
  conn: string;
  /** Full JID of the sending session, as stamped by the edge. */
  jid: string;
}

/** Requests to an actor (session or presence service); `key` is the actor's bare JID. */
export type ActorRequest =
  /**
   * A client stanza; `origin` is set when it came straight from a client connection. `waitMs` is how
   * long the sender waits for the reply to this request: a busy actor answers 'queued' well before.
   */
  | { kind: 'stanza'; key: string; stanza: Element; origin?: Origin; id?: string; waitMs?: number }
  /** A presence stanza handed from one account's presence actor to another's (RFC 6121 inbound processing). */
  | { kind: 'presence-in'; key: string; stanza: Element }
  /** A connection ended; `available` tells whether it had sent available presence. */
  | { kind: 'resource-gone'; key: string; jid: string; conn: string; edge: string; available: boolean }
  /** XEP-0160: deliver stored messages to a session that just became available. */
  | { kind: 'flush-offline'; key: string; target: Origin }
  /**
   * The pruned presence tree of publisher `key`: one of its subscribers' resources became available
   * (`on`) or unavailable. Sent by the subscriber's presence actor to its online contacts.
   */
  | { kind: 'presence-interest'; key: string; subscriber: InterestedResource; on: boolean }
  /** An edge got a tree delivery of publisher `key` naming connections it does not hold. */
  | { kind: 'presence-stale'; key: string; edge: string; conns: string[] }
  /** An administrator's change to room `key` (`parley room config|destroy`), applied by the room's actor. */
  | { kind: 'room-admin'; key: string; action: RoomAdminAction }
  /** Does this process hold external component `key`'s connection? (XEP-0114 conflict across s2s processes.) */
  | { kind: 'component-probe'; key: string };

/** What `room-admin` asks of a room: key=value settings (the CLI's), or destroy with a reason. */
export type RoomAdminAction = { op: 'config'; settings: string[] } | { op: 'destroy'; reason?: string };

export interface InterestedResource {
  jid: string;
  edge: string;
  conn: string;
  priority: number;
  /**
   * The publisher's presence per full JID as the subscriber's actor read it (and sent it on) at login:
   * the publisher sends what changed since, which a broadcast made before this notice arrived missed.
   */
  seen?: Record<string, string>;
}

export type ActorReply = { ok: true } | { ok: false; condition: string; text?: string };

export interface DeliveryTarget {
  conn: string;
  /** When set, the edge stamps this `to` on the stanza for this connection only. */
  to?: string;
}

/** Messages to one edge. One per edge, never one per recipient (ARCHITECTURE.md, path of a stanza §4). */
export type EdgeMessage =
  /**
   * `id` is the hand-off id of the stanza being delivered: a retried hand-off (after the actor's
   * process died between delivering and replying) is delivered again by the new owner, and the
   * receiving edge drops the second copy per connection. `tree` names the publisher when this is a
   * broadcast along its pruned presence tree: the edge reports connections it does not hold.
   * `more` are further stanzas for the same targets, in order after `xml` (a joining occupant's
   * room roster: one bus message instead of one per occupant).
   */
  | { kind: 'deliver'; xml: string; more?: string[]; targets: DeliveryTarget[]; id?: string; tree?: string }
  /** Close a connection with a stream error, e.g. `conflict` when the same resource binds elsewhere. */
  | { kind: 'kick'; conn: string; condition: string; text?: string }
  /**
   * An actor changed the connection's location entry (presence, priority, roster interest, carbons):
   * the edge keeps a copy so it can register the entry again if the location service loses it.
   * A null field was cleared.
   */
  | { kind: 'entry'; conn: string; patch: Record<string, string | number | boolean | null> };

/**
 * Notices to every process: an owner's privacy policy or archive preferences changed, so cached
 * copies are forgotten; a process got its bus connection back, so what it published meanwhile may
 * be lost (decision 0022); a credential was revoked (a client certificate's fingerprint), so every
 * edge closes the streams that signed in with it.
 */
export type ControlMessage =
  | { kind: 'privacy-changed'; owner: string }
  | { kind: 'archive-prefs-changed'; owner: string }
  | { kind: 'bus-reconnected'; instance: string }
  | { kind: 'credential-revoked'; credential: string; text: string };

/**
 * Hierarchical fan-out: a publisher whose tree spans many edges hands groups of edge deliveries to
 * relays (any presence process), so its own work stays bounded by the group count.
 */
export type RelayMessage = { kind: 'relay'; deliveries: Array<{ edge: string; msg: EdgeMessage }> };

export type WireMessage = ActorRequest | ActorReply | EdgeMessage | ControlMessage | RelayMessage;

const enc = new TextEncoder();
const dec = new TextDecoder();

export function encodeWire(msg: WireMessage): Uint8Array {
  if ('stanza' in msg && msg.stanza) {
    return enc.encode(JSON.stringify({ ...msg, stanza: msg.stanza.toString() }));
  }
  return enc.encode(JSON.stringify(msg));
}

export function decodeWire(bytes: Uint8Array): WireMessage {
  const obj = JSON.parse(dec.decode(bytes)) as Record<string, unknown>;
  if (typeof obj.stanza === 'string') obj.stanza = parseFragment(obj.stanza);
  return obj as unknown as WireMessage;
}

/**
 * Insert a `to` attribute right after the element name of serialized XML. Cheaper than
 * cloning and re-serializing a broadcast stanza once per recipient.
 */
export function stampTo(xml: string, to: string): string {
  const end = xml.search(/[\s/>]/);
  if (end < 0) return xml;
  return `${xml.slice(0, end)} to="${escapeAttrValue(to)}"${xml.slice(end)}`;
}

function escapeAttrValue(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The stanzas of one delivery, in order. */
export function stanzasOf(d: { xml: string; more?: string[] }): string[] {
  return d.more ? [d.xml, ...d.more] : [d.xml];
}

/**
 * Group recipients by the edge holding them: one bus message per edge, not per recipient
 * (the pruned fan-out of ARCHITECTURE.md §4). `to` stamps each recipient's own address when asked.
 * Several stanzas for the same recipients (in order) travel in one message.
 */
export function deliveriesByEdge(
  recipients: Iterable<{ edge: string; conn: string; jid: string }>,
  stanzas: string | string[],
  opts: { stampRecipient?: boolean; id?: string; tree?: string } = {},
): Array<{ edge: string; msg: EdgeMessage }> {
  const [xml = '', ...more] = typeof stanzas === 'string' ? [stanzas] : stanzas;
  const byEdge = new Map<string, DeliveryTarget[]>();
  for (const r of recipients) {
    const list = byEdge.get(r.edge) ?? [];
    list.push(opts.stampRecipient ? { conn: r.conn, to: r.jid } : { conn: r.conn });
    byEdge.set(r.edge, list);
  }
  return [...byEdge].map(([edge, targets]) => ({ edge, msg: { kind: 'deliver', xml, ...(more.length ? { more } : {}), targets, ...(opts.id ? { id: opts.id } : {}), ...(opts.tree ? { tree: opts.tree } : {}) } }));
}
