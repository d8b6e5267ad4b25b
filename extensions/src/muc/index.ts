// Multi-user chat (XEP-0045) with occupant ids (XEP-0421), self-ping (XEP-0410), room information
// (XEP-0128) and direct invitations (XEP-0249): the rooms of the chatroom service, and what the
// presence service tells rooms when an occupant's session goes away.
import type { ExtensionModule, PresenceEnv, RoomBehaviour } from '@parley/ext';
import { MUC } from './ns.ts';
import type { MucOptions } from './options.ts';
import { MUC_METRIC_NAMES, mucMetrics } from './metrics.ts';
import { roomBehaviour } from './room.ts';

export { MUC, STATUS } from './ns.ts';
export { applyRoomSettings } from './settings.ts';
export { defaultConfig as defaultRoomConfig } from './state.ts';
export type { MucOptions } from './options.ts';

export interface MucModuleOptions extends MucOptions {
  /** The chatroom service's domain, listed in the server's disco#items (XEP-0045 §6.1). */
  service: string;
}

/** §7.14: a session that ended or went unavailable leaves every room it was in. */
async function leaveRooms(env: PresenceEnv, jid: string, conn: string): Promise<void> {
  for (const room of await env.store.muc.roomsOf(jid)) env.tell('chatroom', { kind: 'resource-gone', key: room, jid, conn, edge: '', available: false });
}

export function muc(opts: MucModuleOptions): ExtensionModule {
  const metrics = opts.registry ? mucMetrics(opts.registry) : null;
  return {
    name: 'muc',
    specs: ['XEP-0045', 'XEP-0421', 'XEP-0410', 'XEP-0128', 'XEP-0249'],
    settings: ['mucDomain', 'mucCreators', 'mucAdmins', 'mucMaxRoomsPerUser', 'mucHistorySize', 'mucMaxOccupants', 'mucMaxUsersPresence', 'mucOccupantRate', 'mucRoomRate'],
    storage: ['muc_rooms', 'muc_affiliations', 'muc_occupants', 'muc_history'],
    disco: [
      { on: ['server'], item: { jid: opts.service, name: 'Chatrooms' } },
      // XEP-0249 §2: clients accept direct invitations; the server only relays them.
      { on: ['own-account', 'account'], features: [MUC.conference] },
    ],
    metrics: metrics ? MUC_METRIC_NAMES : [],
    chatroom: { room: roomBehaviour(opts, metrics) as RoomBehaviour },
    presence: {
      async unavailable({ env, jid, conn }) {
        await leaveRooms(env, jid, conn);
      },
      async resourceGone({ env, jid, conn, available }) {
        if (!available) await leaveRooms(env, jid, conn); // an available one was handled by `unavailable`
      },
    },
  };
}
