// Directed presence from an account's own resources (RFC 6121 §4.6): where it goes, whom each
// resource sent available presence to, and the unavailable those targets get when the resource
// goes away. The actor (presence.ts) calls these; the state is its own.
import { bareOf, tryParseJid } from '@parley/jid';
import { NS } from '@parley/stanza';
import type { RosterItem } from '@parley/store';
import { type Element, xml } from '@parley/xml';
import { type Broadcaster, hasFrom } from './broadcast.ts';

/** What of an account's actor state directed presence needs. */
export interface DirectedState {
  items: Map<string, RosterItem>;
  /**
   * RFC 6121 §4.6.3: who each of the account's resources sent directed available presence to,
   * so they learn when it goes away. Actor memory: lost (not wrongly kept) when the actor moves.
   */
  directed: Map<string, Set<string>>;
}

export interface DirectedDeps {
  fan: Broadcaster;
  isLocal: (bare: string) => boolean;
  /** Hands a presence stanza to another account's actor, or to the federation service (presence.ts). */
  toContactActor: (contact: string, stanza: Element) => void;
}

export function directedPresence(deps: DirectedDeps) {
  const { fan, isLocal, toContactActor } = deps;

  /**
   * RFC 6121 §4.6.2: directed presence. To another local account that is not our subscriber it goes
   * through her actor, which delivers it after input already waiting (decision 0033): whether she is
   * online — invisible or not — must not show in the sender's timing. A subscriber of ours gets it from
   * here, in order with our broadcasts, which reach her connections from here in any case.
   */
  async function send(state: DirectedState, stanza: Element): Promise<void> {
    const contact = tryParseJid(stanza.attr('to') ?? '')?.bareString();
    const item = contact === undefined ? undefined : state.items.get(contact);
    const type = stanza.attr('type');
    if (contact !== undefined && isLocal(contact) && contact !== bareOf(stanza.attr('from') ?? '') && !(item && hasFrom(item))) {
      if (type === undefined || type === 'unavailable') toContactActor(contact, stanza);
      return;
    }
    await fan.directed(stanza);
  }

  /** §4.6.3: remember (or forget) whom a resource sent directed available presence to. */
  function track(state: DirectedState, stanza: Element): void {
    const from = stanza.attr('from');
    const to = stanza.attr('to');
    if (!from || !to) return;
    const set = state.directed.get(from) ?? new Set<string>();
    if (stanza.attr('type') === undefined) set.add(to);
    else if (stanza.attr('type') === 'unavailable') set.delete(to);
    if (set.size) state.directed.set(from, set);
    else state.directed.delete(from);
  }

  /** §4.6.3: unavailable to whoever got directed presence from this resource and not the broadcast. */
  async function gone(state: DirectedState, jid: string): Promise<void> {
    const targets = state.directed.get(jid);
    if (!targets) return;
    state.directed.delete(jid);
    for (const to of targets) {
      const item = state.items.get(bareOf(to));
      if (item && hasFrom(item) && isLocal(to)) continue;
      await send(state, xml('presence', { xmlns: NS.client, from: jid, to, type: 'unavailable' }));
    }
  }

  return { send, track, gone };
}
