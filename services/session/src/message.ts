// RFC 6121 §8.5: a message to a local account, delivered to its resources; what else happens to
// it (copies, offline storage, outboxes) is up to the loaded modules' hooks.
import { type Fence, RoutingRecoveringError, ShardMovedError } from '@parley/actor';
import type { MessageRouting, SessionContribution, SessionEnv } from '@parley/ext';
import type { ResourceEntry } from '@parley/location';
import type { Origin } from '@parley/wire';
import type { Element } from '@parley/xml';

export interface MessageRouter {
  /**
   * A message to the account `key` (its bare JID or one of its full JIDs); `visible`, when given,
   * are the only resources it may reach ('recipients' hooks), the others count as offline.
   */
  route(key: string, stanza: Element, origin: Origin | undefined, full: string | null, id?: string, fence?: Fence, visible?: ResourceEntry[], where?: Map<string, ResourceEntry[]>): Promise<void>;
  /**
   * The resources of the account and of every bare JID the modules' 'lookups' want for this message,
   * in one location round trip; given to `route` as `where` (and the account's to the 'recipients'
   * hooks), nothing is looked up twice.
   */
  locate(key: string, stanza: Element, origin: Origin | undefined): Promise<Map<string, ResourceEntry[]>>;
  /** §8.5.2.1: to the bare JID (or an unknown full JID treated as bare); returns who got it live. */
  toBare(key: string, stanza: Element, origin: Origin | undefined, id?: string, known?: ResourceEntry[], fence?: Fence): Promise<ResourceEntry[]>;
}

export function messageRouter(env: SessionEnv, hooks: SessionContribution[]): MessageRouter {
  const lookups = hooks.flatMap((h) => (h.lookups ? [h.lookups.bind(h)] : []));
  const after = hooks.flatMap((h) => (h.afterMessage ? [h.afterMessage.bind(h)] : []));
  const undeliverable = hooks.flatMap((h) => (h.undeliverable ? [h.undeliverable.bind(h)] : []));
  const accepted = hooks.flatMap((h) => (h.accepted ? [h.accepted.bind(h)] : []));

  async function toBare(key: string, stanza: Element, origin: Origin | undefined, id?: string, known?: ResourceEntry[], fence?: Fence): Promise<ResourceEntry[]> {
    const type = stanza.attr('type') ?? 'normal';
    if (type === 'error') return [];
    if (type === 'groupchat') {
      env.fail(stanza, origin, 'service-unavailable'); // §8.5.2.1.3
      return [];
    }
    const online = (known ?? (await env.location.resources(key))).filter((r) => r.available && r.priority >= 0);
    if (online.length > 0) {
      await env.publish(online, stanza.toString(), { id });
      return online;
    }
    if (type === 'headline') return []; // §8.5.2.2.1: headlines are not kept
    // What modules keep (offline storage) is durable: only the shard's current owner writes it.
    if (fence && !fence.valid()) throw new ShardMovedError(fence.shard);
    for (const hook of undeliverable) if ((await hook({ env, key, stanza, origin })).kind === 'handled') return [];
    // §8.5.2.2.1: nobody keeps it, so the sender learns it was not delivered.
    env.fail(stanza, origin, 'service-unavailable');
    return [];
  }

  /** One location round trip for `wanted` (the recipient and whatever the modules need; carbons: the sender). */
  function lookUp(key: string, stanza: Element, origin: Origin | undefined, wanted: string[]): Promise<Map<string, ResourceEntry[]>> {
    for (const l of lookups) for (const bare of l({ env, key, stanza, origin })) if (bare !== key && !wanted.includes(bare)) wanted.push(bare);
    if (wanted.length === 0) return Promise.resolve(new Map());
    // Unreachable, or rebuilding after losing its data (when "no resource" may mean "not registered
    // again yet"), the location service cannot decide where the message goes: the sending edge
    // holds it and retries rather than it going to offline storage for a user who never left.
    // Nothing has been done with the message yet, so a retry is safe.
    return env.location.resourcesOf(wanted).catch((err: Error) => {
      throw new RoutingRecoveringError(`location service unreachable: ${err.message}`);
    });
  }

  return {
    toBare,
    locate: (key, stanza, origin) => lookUp(key, stanza, origin, [key]),
    async route(key, original, origin, full, id, fence, visible, known) {
      let stanza = original;
      const where = known ?? (await lookUp(key, stanza, origin, visible ? [] : [key]));
      if (visible) where.set(key, visible);
      const resources = where.get(key) ?? [];
      const uncertain = () => env.location.recovering().catch(() => true); // unreachable again: as unsure
      if (resources.length === 0 && origin && (await uncertain())) throw new RoutingRecoveringError('the recipient’s sessions are being registered again');
      if (accepted.length > 0) {
        // What these hooks write (the archive) is durable: only the shard's current owner writes it.
        if (fence && !fence.valid()) throw new ShardMovedError(fence.shard);
        for (const hook of accepted) {
          const r = await hook({ env, key, stanza, origin, handoff: id });
          if (r.kind === 'rewrite') stanza = r.stanza;
        }
      }
      const routing: MessageRouting = { env, key, stanza, origin, where };
      let deliveredTo: ResourceEntry[];
      const exact = full ? resources.find((r) => r.jid === full) : undefined;
      if (exact) {
        await env.publish([exact], stanza.toString(), { id });
        deliveredTo = [exact];
      } else if (full && stanza.attr('type') === 'groupchat') {
        env.fail(stanza, origin, 'service-unavailable'); // §8.5.3.2.1
        return;
      } else {
        // §8.5.3.2.1: an unknown resource gets chat/normal/headline as if sent to the bare JID.
        deliveredTo = await toBare(key, stanza, origin, id, resources, fence);
      }
      for (const hook of after) await hook({ ...routing, deliveredTo });
    },
  };
}
