// RFC 6121 §4: presence of an account's resources, fanned out to exactly the edges that hold
// interested recipients, one bus message per edge (ARCHITECTURE.md, path of a stanza §4).
import type { PresenceEnv } from '@parley/ext';
import { tryParseJid } from '@parley/jid';
import type { ResourceEntry } from '@parley/location';
import { NS } from '@parley/stanza';
import type { RosterItem } from '@parley/store';
import { type Element, xml } from '@parley/xml';

export const hasFrom = (i: RosterItem) => i.subscription === 'from' || i.subscription === 'both';
export const hasTo = (i: RosterItem) => i.subscription === 'to' || i.subscription === 'both';
export const available = (rs: ResourceEntry[]) => rs.filter((r) => r.available);

export interface Broadcaster {
  /** To our subscribers' and our own available resources (except one connection). */
  broadcast(key: string, items: Iterable<RosterItem>, stanzaXml: string, exceptConn?: string): Promise<void>;
  /** Our available resources' current presence, to one contact's available resources (§3.1.5). */
  sendOurPresence(key: string, contact: string): Promise<void>;
  /** Unavailable from each of our available resources to one contact (§3.2.3). */
  sendUnavailable(key: string, contact: string): Promise<void>;
  /** Directed presence (§4.6): straight to the addressee's resources. */
  directed(stanza: Element): Promise<void>;
}

export function broadcaster(env: PresenceEnv, isLocal: (bare: string) => boolean): Broadcaster {
  const { location } = env;
  return {
    async broadcast(key, items, stanzaXml, exceptConn) {
      const subscribers = [...items].filter(hasFrom).map((i) => i.contact).filter(isLocal);
      const where = await location.resourcesOf([key, ...subscribers]);
      const targets: ResourceEntry[] = [];
      for (const list of where.values()) for (const r of list) if (r.available && r.conn !== exceptConn) targets.push(r);
      env.publish(targets, stanzaXml, true);
    },
    async sendOurPresence(key, contact) {
      const [ours, theirs] = await Promise.all([location.resources(key), location.resources(contact)]);
      const targets = available(theirs);
      if (targets.length === 0) return;
      for (const r of available(ours)) if (r.presence) env.publish(targets, r.presence, true);
    },
    async sendUnavailable(key, contact) {
      const [ours, theirs] = await Promise.all([location.resources(key), location.resources(contact)]);
      const targets = available(theirs);
      if (targets.length === 0) return;
      for (const r of available(ours)) env.publish(targets, xml('presence', { xmlns: NS.client, from: r.jid, type: 'unavailable' }).toString(), true);
    },
    async directed(stanza) {
      const to = tryParseJid(stanza.attr('to') ?? '');
      const type = stanza.attr('type');
      if (!to || (type !== undefined && type !== 'unavailable')) return;
      const rs = await location.resources(to.bareString());
      env.publish(to.resource ? rs.filter((r) => r.jid === to.toString()) : available(rs), stanza.toString(), false);
    },
  };
}
