// The chatroom service: one actor per room (and one for the service's own address), sharded like
// the session and presence actors (ARCHITECTURE.md, Processes). What a room does comes from the
// module that provides `chatroom.room` (XEP-0045, extensions/src/muc); this file only hosts it.
import { ActorHost, type ActorRuntime, actorOutput, actorRuntime, ShardMovedError } from '@parley/actor';
import type { Bus } from '@parley/bus';
import type { ChatroomEnv, LoadedModules } from '@parley/ext';
import type { LocationService } from '@parley/location';
import type { Logger } from '@parley/log';
import type { Store } from '@parley/store';
import type { ActorRequest, WireMessage } from '@parley/wire';

export interface ChatroomDeps {
  domain: string;
  /** The chatroom service's domain (conference.<domain> unless configured). */
  service: string;
  bus: Bus<WireMessage>;
  location: LocationService;
  store: Store;
  log: Logger;
  modules: LoadedModules;
}

export type ChatroomService = ActorRuntime;

export function createChatroomHost(deps: ChatroomDeps): ActorHost<unknown, ActorRequest, void> {
  const { log } = deps;
  const out = actorOutput(deps.bus);
  const room = deps.modules.chatroom.room;
  const gate = deps.modules.chatroom.hooks.flatMap((h) => (h.deliver ? [h.deliver.bind(h)] : []));
  const presenceHooks = deps.modules.chatroom.hooks.flatMap((h) => (h.occupantPresence ? [h.occupantPresence.bind(h)] : []));
  const env: ChatroomEnv = {
    domain: deps.domain,
    service: deps.service,
    location: deps.location,
    store: deps.store,
    log,
    publish: (recipients, xml, stampRecipient) => out.publish(recipients, xml, { stampRecipient }),
    answer: out.answer,
    fail: out.fail,
    tell: (service, msg) => out.tell(service, msg, (err) => log.warn('actor request failed', { err: err.message, service, kind: msg.kind })),
    async allowed(from, kind, targets) {
      let kept = targets;
      for (const hook of gate) {
        if (kept.length === 0) break;
        kept = await hook({ env, from, kind, targets: kept });
      }
      return kept;
    },
    async occupantPresence(from, stanza) {
      for (const hook of presenceHooks) {
        const r = await hook({ env, from, stanza });
        if (r.kind === 'rewrite') stanza = r.stanza;
      }
      return stanza;
    },
  };
  const host = new ActorHost<unknown, ActorRequest, void>(
    {
      activate: async (key) => (room ? room.activate(env, key) : null),
      handle: async (state, msg, key, ctx) => {
        if (!room) {
          // No module provides rooms: RFC 6120 §8.3.3.19.
          if (msg.kind === 'stanza') out.fail(msg.stanza, msg.origin, 'service-unavailable', 'chatrooms are not enabled');
          if (msg.kind === 'room-admin') throw new Error('chatrooms are not enabled'); // the CLI must not take it as applied
          return;
        }
        const fence = ctx.fence;
        // Durable writes only while this instance owns the room's shard (docs/decisions/0006).
        const owned = () => {
          if (fence && !fence.valid()) throw new ShardMovedError(fence.shard);
        };
        await room.handle(env, state, msg, key, { owned });
      },
    },
    { onError: (err, key) => log.error('chatroom actor failure', { err, key }), maxMailbox: room?.mailbox },
  );
  room?.observe?.(() => host.states());
  return host;
}

/** One wiring function per service (STYLE.md §9): the extension modules come in `deps.modules`. */
export function buildChatroomService(deps: ChatroomDeps): ChatroomService {
  return actorRuntime(deps.bus, 'chatroom', createChatroomHost(deps));
}
