// Presence from another account reaching an account's presence actor (a `presence-in` request):
// subscription stanzas through the modules' 'presence-inbound' hooks to the subscription state
// machine (RFC 6121 §3), and other presence — a remote contact's probe, available or unavailable
// presence, a local account's directed presence — to the account's resources (§4.3-4.6).
// The actor (presence.ts) calls these; the state is its own.
import { afterWaitingInput, type Fence } from '@parley/actor';
import type { PresenceContribution, PresenceEnv, RosterAccess } from '@parley/ext';
import { tryParseJid } from '@parley/jid';
import type { LocationService } from '@parley/location';
import { NS } from '@parley/stanza';
import type { RosterItem } from '@parley/store';
import { type Element, xml } from '@parley/xml';
import { type Broadcaster, hasFrom } from './broadcast.ts';
import { inbound, isSubscriptionType, subscriptionStanza, type SubscriptionType } from './subscription.ts';

/** What of an account's actor state inbound presence needs. */
export interface InboundState {
  exists: boolean;
  items: Map<string, RosterItem>;
}

export interface InboundDeps<S extends InboundState> {
  env: PresenceEnv;
  location: LocationService;
  fan: Broadcaster;
  isLocal: (bare: string) => boolean;
  hooks: PresenceContribution[];
  /** Hands a presence stanza to another account's actor, or to the federation service (presence.ts). */
  toContactActor: (contact: string, stanza: Element) => void;
  rosterOf: (key: string, state: S, fence: Fence | undefined) => RosterAccess;
}

export function inboundPresence<S extends InboundState>(deps: InboundDeps<S>) {
  const { env, location, fan, isLocal, toContactActor, rosterOf } = deps;
  const inboundHooks = deps.hooks.flatMap((h) => (h.inbound ? [h.inbound.bind(h)] : []));

  async function subscription(key: string, state: S, stanza: Element, type: SubscriptionType, fence: Fence | undefined): Promise<void> {
    const from = tryParseJid(stanza.attr('from') ?? '');
    if (!from || !state.exists) return; // §3.1.3: unknown accounts silently ignore requests
    const contact = from.bareString();
    const effect = inbound(type, state.items.get(contact) ?? null, contact);
    // RFC 6121 §3.1.3: the pending request is stored whether or not she is online (and redelivered at
    // her next available presence, initialPresence); this is the durable work, the same in both cases.
    if (effect.item) await rosterOf(key, state, fence).save(effect.item);
    if (effect.deliver) {
      // #15 item 5: whether she is online must not show in the requester's timing. Her connections are
      // looked up and written to only after input already waiting has been read and handled (the
      // requester's next stanza, the socket carrying her answer), in both cases (decision 0033).
      await afterWaitingInput();
      const targets = (await location.resources(key)).filter((r) => r.available);
      // RFC 6121 §3.1.3: the request is delivered with what it carries (a status, a XEP-0172 nick, a module's annotation).
      const children = type === 'subscribe' ? stanza.children.filter((c): c is Element => typeof c !== 'string') : [];
      await fan.send(contact, 'subscription', targets, xml('presence', { xmlns: NS.client, type, from: contact, to: key }, ...children).toString(), false);
    }
    if (effect.autoReply) toContactActor(contact, subscriptionStanza(effect.autoReply, key, contact));
    if (effect.sendPresence) await fan.sendOurPresence(key, contact);
  }

  /**
   * Presence from another account that is not a subscription stanza. From a contact at another domain
   * (the federation service hands it here): RFC 6121 §4.3.2 a probe is answered with our presence when
   * the contact is subscribed to it; §4.4.3 and §4.6.3 available and unavailable presence go to the
   * addressed resource, or all available ones, through the delivery hooks (privacy lists and blocking
   * apply to remote senders too). From a local account: its directed presence (directed.ts). Either way
   * the delivery waits for input already waiting (decision 0033), whether or not we are online.
   */
  async function fromOther(key: string, state: S, stanza: Element): Promise<void> {
    const from = tryParseJid(stanza.attr('from') ?? '');
    const to = tryParseJid(stanza.attr('to') ?? '');
    if (!from || !to) return;
    const type = stanza.attr('type');
    if (isLocal(from.bareString())) {
      if (type !== undefined && type !== 'unavailable') return;
      await afterWaitingInput();
      await fan.directed(stanza);
      return;
    }
    if (type === 'probe') {
      const item = state.items.get(from.bareString());
      if (item && hasFrom(item)) await fan.sendOurPresence(key, from.bareString());
      return;
    }
    if (type !== undefined && type !== 'unavailable') return;
    await afterWaitingInput();
    const rs = (await location.resources(key)).filter((r) => r.available);
    const targets = to.resource ? rs.filter((r) => r.jid === to.toString()) : rs;
    // To the bare JID: each resource gets its own address as `to` (stamped per target).
    if (!to.resource) stanza.setAttr('to', undefined);
    await fan.send(from.toString(), 'notification', targets, stanza.toString(), !to.resource);
  }

  /** A `presence-in` request: a subscription stanza passes the 'presence-inbound' hooks first. */
  return async function presenceIn(key: string, state: S, stanza: Element, fence: Fence | undefined): Promise<void> {
    const type = stanza.attr('type');
    if (!isSubscriptionType(type)) {
      if (state.exists) await fromOther(key, state, stanza);
      return;
    }
    for (const h of inboundHooks) {
      const r = await h({ env, key, stanza, roster: rosterOf(key, state, fence) });
      if (r.kind === 'handled') return;
      if (r.kind === 'rewrite') stanza = r.stanza;
    }
    await subscription(key, state, stanza, type, fence);
  };
}
