// RFC 6121 §4: presence of an account's resources, fanned out to exactly the edges that hold
// interested recipients, one bus message per edge (ARCHITECTURE.md, path of a stanza §4). Every
// delivery first asks the modules' 'presence-delivery' hooks who may receive it (privacy).
import type { PresenceDelivery, PresenceEnv } from '@parley/ext';
import { tryParseJid } from '@parley/jid';
import type { ResourceEntry } from '@parley/location';
import { NS } from '@parley/stanza';
import { s2sEdge } from '@parley/subjects';
import type { RosterItem } from '@parley/store';
import { type Element, xml } from '@parley/xml';

export const hasFrom = (i: RosterItem) => i.subscription === 'from' || i.subscription === 'both';
export const hasTo = (i: RosterItem) => i.subscription === 'to' || i.subscription === 'both';
export const available = (rs: ResourceEntry[]) => rs.filter((r) => r.available);

/**
 * A contact at another domain as a delivery target: the federation service's "edge" of that
 * domain's shard (the s2s process holding its stream), with the domain as connection id (its server fans out to the contact's resources, RFC 6121 §4.2.2). The
 * delivery hooks (privacy lists, blocking) see it like any other target.
 */
export function remoteTarget(bare: string): ResourceEntry {
  const domain = bare.slice(bare.indexOf('@') + 1);
  return { jid: bare, edge: s2sEdge(domain), conn: domain, priority: 0, available: true };
}

/** The 'presence-delivery' hooks, in module order. */
export type DeliveryGate = Array<(d: PresenceDelivery) => Promise<ResourceEntry[]>>;

export interface Broadcaster {
  /** Deliver presence from `from` to the targets the delivery hooks allow. */
  send(from: string, kind: PresenceDelivery['kind'], targets: ResourceEntry[], stanzaXml: string, stampRecipient: boolean): Promise<void>;
  /**
   * From one resource to its subscribers' resources (the pruned tree's targets) and our own available
   * resources (except one connection), as a tree delivery; returns the bus messages it took.
   */
  broadcast(key: string, from: string, subscribers: ResourceEntry[], own: ResourceEntry[], stanzaXml: string, exceptConn?: string): Promise<number>;
  /** Our available resources' (or only `from`'s) current presence, to one contact's available resources (§3.1.5), or to `targets`. */
  sendOurPresence(key: string, contact: string, from?: string, targets?: ResourceEntry[]): Promise<void>;
  /** Unavailable from each of our available resources (or only `from`) to one contact (§3.2.3). */
  sendUnavailable(key: string, contact: string, from?: string): Promise<void>;
  /** Directed presence (§4.6): straight to the addressee's resources. */
  directed(stanza: Element): Promise<void>;
}

/** Publishes a broadcast along `publisher`'s tree (edges report connections they lack); returns the bus messages. */
export type TreePublish = (targets: ResourceEntry[], stanzaXml: string, publisher: string) => number;

export function broadcaster(env: PresenceEnv, isLocal: (bare: string) => boolean, gate: DeliveryGate, tree: TreePublish): Broadcaster {
  const { location } = env;
  async function gated(from: string, kind: PresenceDelivery['kind'], targets: ResourceEntry[]): Promise<ResourceEntry[]> {
    let allowed = targets;
    for (const hook of gate) {
      if (allowed.length === 0) return allowed;
      allowed = await hook({ env, from, kind, targets: allowed });
    }
    return allowed;
  }
  async function send(from: string, kind: PresenceDelivery['kind'], targets: ResourceEntry[], stanzaXml: string, stampRecipient: boolean): Promise<void> {
    const allowed = await gated(from, kind, targets);
    if (allowed.length > 0) env.publish(allowed, stanzaXml, stampRecipient);
  }
  /** A contact's resources: from the location service, or the remote target for another domain. */
  const resourcesOf = (contact: string) => (isLocal(contact) ? location.resources(contact) : Promise.resolve([remoteTarget(contact)]));
  return {
    send,
    async broadcast(key, from, subscribers, own, stanzaXml, exceptConn) {
      const targets = own.filter((r) => r.available && r.conn !== exceptConn);
      for (const r of subscribers) if (r.conn !== exceptConn) targets.push(r);
      const allowed = await gated(from, 'notification', targets);
      return allowed.length === 0 ? 0 : tree(allowed, stanzaXml, key);
    },
    async sendOurPresence(key, contact, from, only) {
      const [ours, theirs] = await Promise.all([location.resources(key), only ?? resourcesOf(contact)]);
      const targets = available(theirs);
      if (targets.length === 0) return;
      for (const r of available(ours)) if (r.presence && (from === undefined || r.jid === from)) await send(r.jid, 'notification', targets, r.presence, true);
    },
    async sendUnavailable(key, contact, from) {
      const [ours, theirs] = await Promise.all([location.resources(key), resourcesOf(contact)]);
      const targets = available(theirs);
      if (targets.length === 0) return;
      for (const r of available(ours)) if (from === undefined || r.jid === from) await send(r.jid, 'notification', targets, xml('presence', { xmlns: NS.client, from: r.jid, type: 'unavailable' }).toString(), true);
    },
    async directed(stanza) {
      const to = tryParseJid(stanza.attr('to') ?? '');
      const type = stanza.attr('type');
      if (!to || (type !== undefined && type !== 'unavailable')) return;
      if (!isLocal(to.bareString())) {
        await send(stanza.attr('from') ?? '', 'notification', [{ ...remoteTarget(to.bareString()), jid: to.toString() }], stanza.toString(), false);
        return;
      }
      const rs = await location.resources(to.bareString());
      await send(stanza.attr('from') ?? '', 'notification', to.resource ? rs.filter((r) => r.jid === to.toString()) : available(rs), stanza.toString(), false);
    },
  };
}
