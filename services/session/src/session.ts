// The session service: one actor per local account for messages and IQs addressed to it, and
// IQs the server answers on the account's behalf (ARCHITECTURE.md, Actors; RFC 6121 §8).
import { randomUUID } from 'node:crypto';
import { ActorHost } from '@parley/actor';
import type { Bus } from '@parley/bus';
import { type Jid, parseJid } from '@parley/jid';
import { bareOf, type LocationService, type ResourceEntry } from '@parley/location';
import type { Logger } from '@parley/log';
import { iqResult, mayReplyWithError, NS, type StanzaErrorCondition, stanzaErrorReply } from '@parley/stanza';
import type { Store } from '@parley/store';
import { edgeSubject } from '@parley/subjects';
import { type ActorRequest, deliveriesByEdge, type Origin, type WireMessage } from '@parley/wire';
import { type Element, parseFragment, xml } from '@parley/xml';
import type { IqRegistry } from './ext/registry.ts';

export interface SessionDeps {
  domain: string;
  bus: Bus<WireMessage>;
  location: LocationService;
  store: Pick<Store, 'users' | 'offline'>;
  log: Logger;
  iq: IqRegistry;
  offlineQuota: number;
}

interface AccountState {
  exists: boolean;
}

export function createSessionHost(deps: SessionDeps): ActorHost<AccountState, ActorRequest, void> {
  const { domain, bus, location, store, log } = deps;

  /**
   * A delivery to a single connection with XEP-0198 goes into its outbox first (kept by the
   * location service until the client acknowledges it), so a dying edge cannot take it along.
   * A stanza that reaches several resources is not kept: re-routing it after one of them died
   * would hand a second copy to the others, which already have it.
   */
  const publishTo = async (recipients: ResourceEntry[], stanzaXml: string, handOffId?: string, stampRecipient = false) => {
    if (recipients.length === 0) return;
    const id = handOffId ?? randomUUID();
    const kept = recipients.length === 1 && !stampRecipient ? recipients.filter((r) => r.sm) : [];
    if (kept.length) await Promise.all(kept.map((r) => location.outboxPut(r.conn, id, stanzaXml)));
    for (const { edge, msg } of deliveriesByEdge(recipients, stanzaXml, { id, stampRecipient })) bus.publish(edgeSubject(edge), msg);
  };

  /**
   * XEP-0280 §6: copies of an eligible chat message go to the recipient's other carbons-enabled
   * resources (`received`) and to the sender's (`sent`), from the owner's bare JID so clients can
   * check it (§11), each stamped with the receiving resource's full JID.
   */
  async function sendCarbons(
    key: string,
    original: Element,
    resources: ResourceEntry[],
    deliveredTo: ResourceEntry[],
    origin: Origin | undefined,
    senderResources?: ResourceEntry[],
  ): Promise<void> {
    const wrap = (kind: 'received' | 'sent', owner: string) =>
      xml('message', { xmlns: NS.client, from: owner, type: original.attr('type') ?? 'normal' }, xml(kind, { xmlns: NS.carbons }, xml('forwarded', { xmlns: NS.forward }, original))).toString();
    const got = new Set(deliveredTo.map((r) => r.conn));
    const received = resources.filter((r) => r.carbons && !got.has(r.conn));
    if (received.length) await publishTo(received, wrap('received', key), undefined, true);
    if (!origin) return;
    const sender = bareOf(origin.jid);
    if (!sender.endsWith(`@${domain}`)) return;
    const own = sender === key ? resources : (senderResources ?? (await location.resources(sender)));
    const sent = own.filter((r) => r.carbons && r.conn !== origin.conn && !got.has(r.conn));
    if (sent.length) await publishTo(sent, wrap('sent', sender), undefined, true);
  }
  const answer = (origin: Origin | undefined, el: Element) => {
    if (!origin) return;
    bus.publish(edgeSubject(origin.edge), { kind: 'deliver', xml: el.toString(), targets: [{ conn: origin.conn }] });
  };
  const fail = (req: { stanza: Element; origin?: Origin }, condition: StanzaErrorCondition, text?: string) => {
    if (!mayReplyWithError(req.stanza)) return;
    answer(req.origin, stanzaErrorReply(req.stanza, condition, { text }));
  };

  /**
   * RFC 6121 §8.5.2.1: message to a bare JID (or an unknown full JID treated as bare).
   * Returns the resources it was delivered to live ([] when stored or dropped).
   */
  async function messageToBare(
    key: string,
    stanza: Element,
    origin: Origin | undefined,
    id?: string,
    known?: ResourceEntry[],
  ): Promise<ResourceEntry[]> {
    const type = stanza.attr('type') ?? 'normal';
    if (type === 'error') return [];
    const online = (known ?? (await location.resources(key))).filter((r) => r.available && r.priority >= 0);
    if (type === 'groupchat') {
      fail({ stanza, origin }, 'service-unavailable');
      return [];
    }
    if (online.length > 0) {
      await publishTo(online, stanza.toString(), id);
      return online;
    }
    if (type === 'headline') return []; // §8.5.2.2.1: headlines are not stored
    if (!hasStorableContent(stanza)) return [];
    // XEP-0160 §3 and XEP-0203: store with a delay stamp; deliver at the next available presence.
    stanza.append(xml('delay', { xmlns: NS.delay, from: domain, stamp: new Date().toISOString() }));
    const r = await store.offline.push(key, stanza.toString(), { maxPerUser: deps.offlineQuota });
    if (r === 'quota-exceeded') fail({ stanza, origin }, 'service-unavailable', 'the recipient cannot receive more offline messages');
    return [];
  }

  async function handleStanza(state: AccountState, key: string, stanza: Element, origin: Origin | undefined, id?: string): Promise<void> {
    const fromJid = stanza.attr('from') ? parseJid(stanza.attr('from')!) : null;
    const to = stanza.attr('to');
    const toServer = to === undefined || to === domain || to.startsWith(`${domain}/`);
    if (stanza.name === 'iq' && fromJid && (toServer || (to === key && fromJid.bareString() === key))) {
      await serverIq(stanza, fromJid, origin);
      return;
    }
    if (toServer) {
      // A message to the server itself: nothing here consumes it (RFC 6121 §8.5.1 lets us ignore it).
      if (stanza.name === 'message') fail({ stanza, origin }, 'service-unavailable');
      return;
    }
    // From here on, the stanza is addressed to this account (key).
    if (!state.exists) {
      // RFC 6121 §8.5.1: no such account. Presence is ignored; messages and IQs get service-unavailable.
      if (stanza.name !== 'presence') fail({ stanza, origin }, 'service-unavailable');
      return;
    }
    const toJid = parseJid(to!);
    if (stanza.name === 'message') {
      const eligible = carbonEligible(stanza);
      // One round trip for the recipient's resources and, for carbons, the sender's.
      const sender = eligible && origin ? bareOf(origin.jid) : key;
      const where = await location.resourcesOf(sender === key ? [key] : [key, sender]);
      const resources = where.get(key) ?? [];
      const wanted = eligible && [...where.values()].some((rs) => rs.some((r) => r.carbons));
      // Copied before delivery: storing offline appends a delay stamp to the stanza.
      const carbon = wanted ? stanza.clone() : null;
      let deliveredTo: ResourceEntry[] = [];
      const r = toJid.resource ? resources.find((e) => e.jid === toJid.toString()) : undefined;
      if (r) {
        await publishTo([r], stanza.toString(), id);
        deliveredTo = [r];
      } else if (toJid.resource && stanza.attr('type') === 'groupchat') {
        fail({ stanza, origin }, 'service-unavailable');
        return;
      } else {
        // §8.5.3.2.1: an unknown resource gets chat/normal/headline as if sent to the bare JID.
        deliveredTo = await messageToBare(key, stanza, origin, id, resources);
      }
      if (carbon) await sendCarbons(key, carbon, resources, deliveredTo, origin, where.get(sender));
      return;
    }
    if (stanza.name === 'iq') {
      const type = stanza.attr('type');
      if (toJid.resource) {
        const r = (await location.resources(key)).find((e) => e.jid === toJid.toString());
        if (r) await publishTo([r], stanza.toString(), id);
        else if (type === 'get' || type === 'set') fail({ stanza, origin }, 'service-unavailable'); // §8.5.3.2.3
        return;
      }
      if (type !== 'get' && type !== 'set') return;
      // §8.5.2.1.3: the server answers IQs to the bare JID on the account's behalf.
      await accountIq(stanza, fromJid, toJid, origin);
      return;
    }
  }

  async function runIq(scope: 'server' | 'account', stanza: Element, from: Jid, to: Jid, origin: Origin | undefined): Promise<void> {
    const type = stanza.attr('type') ?? '';
    if (type !== 'get' && type !== 'set') return; // results and errors to the server end here
    const payload = stanza.getChildElements()[0];
    if (!payload) {
      fail({ stanza, origin }, 'bad-request');
      return;
    }
    const ext = deps.iq.find(scope, type, payload.getNS(), payload.name);
    if (!ext) {
      // RFC 6120 §8.4: an IQ nobody handles.
      fail({ stanza, origin }, 'service-unavailable');
      return;
    }
    const outcome = await ext.handle({ domain, from, to, payload, iq: stanza, features: (s) => deps.iq.features(s) });
    if ('error' in outcome) {
      fail({ stanza, origin }, outcome.error, outcome.text);
      return;
    }
    if (outcome.ownResource && origin) await location.update(origin.jid, origin.conn, outcome.ownResource);
    const reply = iqResult(stanza, ...outcome.result);
    if (stanza.attr('to') === undefined) reply.setAttr('from', undefined);
    answer(origin, reply);
  }

  const serverIq = (stanza: Element, from: Jid, origin: Origin | undefined) => {
    const to = stanza.attr('to');
    const target = to === undefined || to.startsWith(domain) ? parseJid(domain) : from.bare;
    return runIq('server', stanza, from, target, origin);
  };
  const accountIq = (stanza: Element, from: Jid | null, to: Jid, origin: Origin | undefined) => {
    if (!from) return Promise.resolve();
    return runIq('account', stanza, from, to, origin);
  };

  async function flushOffline(key: string, target: Origin): Promise<void> {
    const messages = await store.offline.pop(key);
    if (messages.length === 0) return;
    const entry = (await location.resources(key)).find((r) => r.conn === target.conn);
    if (!entry) {
      // The session went away between presence and flush: put the messages back, in order.
      for (const m of messages) await store.offline.push(key, m.stanza, { maxPerUser: Number.MAX_SAFE_INTEGER });
      return;
    }
    for (const m of messages) await publishTo([entry], m.stanza, `offline-${m.id}`);
  }

  /**
   * A connection ended with deliveries its client never acknowledged (XEP-0198): route them again
   * as if sent to the bare JID — another resource, or offline storage with a delay stamp.
   */
  async function resourceGone(key: string, conn: string): Promise<void> {
    const left = await location.outboxTake(conn);
    for (const text of left) {
      let stanza: Element;
      try {
        stanza = parseFragment(text);
      } catch {
        continue;
      }
      if (stanza.name === 'message') await messageToBare(key, stanza, undefined);
    }
    if (left.length) log.info('re-routed unacknowledged deliveries', { key, count: left.length });
  }

  return new ActorHost<AccountState, ActorRequest, void>(
    {
      activate: async (key) => {
        const at = key.indexOf('@');
        const exists = at > 0 && key.slice(at + 1) === domain && (await store.users.exists(key.slice(0, at), domain));
        return { exists };
      },
      handle: async (state, msg, key) => {
        switch (msg.kind) {
          case 'stanza':
            await handleStanza(state, key, msg.stanza, msg.origin, msg.id);
            return;
          case 'flush-offline':
            await flushOffline(key, msg.target);
            return;
          case 'resource-gone':
            await resourceGone(key, msg.conn);
            return;
          default:
            log.warn('session actor got an unexpected request', { kind: msg.kind });
        }
      },
    },
    { onError: (err, key) => log.error('session actor failure', { err, key }) },
  );
}

/**
 * XEP-0280 §6.1: chat messages, and normal ones with a body, are copied unless marked private
 * (§7) or no-copy (XEP-0334), and not MUC traffic or carbons themselves.
 */
function carbonEligible(stanza: Element): boolean {
  const type = stanza.attr('type') ?? 'normal';
  if (type !== 'chat' && !(type === 'normal' && stanza.getChild('body'))) return false;
  if (stanza.getChild('private', NS.carbons) || stanza.getChild('no-copy', NS.hints)) return false;
  if (stanza.getChild('received', NS.carbons) || stanza.getChild('sent', NS.carbons)) return false;
  return !stanza.getChild('x', 'http://jabber.org/protocol/muc#user');
}

/** XEP-0160 §4: only messages with content worth keeping are stored (not bare chat states). */
function hasStorableContent(stanza: Element): boolean {
  return stanza.getChildElements().some((c) => c.name === 'body' || c.name === 'subject' || c.getNS() === 'jabber:x:conference' || c.getNS() === 'http://jabber.org/protocol/muc#user');
}
