// `parley room create|list|destroy|config`: the administrators' way to manage chatrooms (issue 8:
// rooms are created by administrators by default). Works on the database: directly when no server
// holds it, through the running embedded server's admin socket otherwise (docs/decisions/0005). A
// room's actor re-reads a room it did not know when someone enters it, and a changed room when it
// next activates.
import { UserError } from '@parley/admin';
import { chatroomDomain, type ParleyConfig } from '@parley/config';
import { defaultRoomConfig } from '@parley/extensions';
import { tryParseJid } from '@parley/jid';
import type { Store } from '@parley/store';
import type { FastifyInstance } from 'fastify';

/** A refused room command: the CLI prints its message, the admin socket answers 400 with it. */
export class RoomCommandError extends UserError {}

/** `name` or `name@service` to the room's bare JID on this server's chatroom service. */
export function roomJid(config: ParleyConfig, arg: string): string {
  const service = chatroomDomain(config);
  const full = arg.includes('@') ? arg : `${arg}@${service}`;
  const jid = tryParseJid(full);
  if (!jid || jid.local === null || jid.resource !== null || jid.domain !== service) throw new RoomCommandError(`${arg} is not a room of ${service} (use name or name@${service})`);
  return jid.toString();
}

const BOOL = new Set(['persistent', 'public', 'membersOnly', 'moderated', 'allowInvites', 'changeSubject', 'archive']);
const TEXT = new Set(['name', 'description']);

/** key=value settings onto a room configuration (the muc module's RoomConfig fields). */
export function applySettings(current: Record<string, unknown>, settings: string[]): Record<string, unknown> {
  const next = { ...current };
  for (const s of settings) {
    const eq = s.indexOf('=');
    if (eq < 1) throw new RoomCommandError(`${s}: use key=value`);
    const key = s.slice(0, eq);
    const value = s.slice(eq + 1);
    if (BOOL.has(key)) {
      if (value !== 'true' && value !== 'false') throw new RoomCommandError(`${key} is true or false`);
      next[key] = value === 'true';
    } else if (TEXT.has(key)) next[key] = value;
    else if (key === 'password') next.password = value === '' ? null : value;
    else if (key === 'maxUsers') {
      const n = Number(value);
      if (!Number.isInteger(n) || n < 1) throw new RoomCommandError('maxUsers is a positive integer');
      next.maxUsers = n;
    } else if (key === 'whois') {
      if (value !== 'moderators' && value !== 'anyone') throw new RoomCommandError('whois is moderators or anyone');
      next.whois = value;
    } else if (key === 'allowPm') {
      if (!['anyone', 'participants', 'moderators', 'none'].includes(value)) throw new RoomCommandError('allowPm is anyone, participants, moderators or none');
      next.allowPm = value;
    } else throw new RoomCommandError(`unknown room setting ${key}`);
  }
  return next;
}

export async function createRoomCommand(store: Store, config: ParleyConfig, arg: string, owner: string | undefined, settings: string[]): Promise<string> {
  const jid = roomJid(config, arg);
  if (await store.muc.getRoom(jid)) throw new RoomCommandError(`${jid} exists already`);
  const ownerJid = owner ? tryParseJid(owner) : null;
  if (owner && (!ownerJid || ownerJid.local === null)) throw new RoomCommandError(`--owner ${owner} is not a user JID`);
  // Created by an administrator: ready at once (not locked), persistent unless told otherwise.
  const base = { ...defaultRoomConfig(jid.slice(0, jid.indexOf('@')), config.mucMaxOccupants), persistent: true, locked: false };
  await store.muc.putRoom(jid, applySettings(base as unknown as Record<string, unknown>, settings));
  if (ownerJid) await store.muc.setAffiliation(jid, { jid: ownerJid.bareString(), affiliation: 'owner' });
  return jid;
}

export async function listRoomsCommand(store: Store, config: ParleyConfig): Promise<string[]> {
  const rooms = await store.muc.listRooms(chatroomDomain(config));
  return rooms.map((r) => {
    const c = r.config;
    const flags = [c.public === false ? 'hidden' : 'public', c.persistent ? 'persistent' : 'temporary', c.membersOnly ? 'members-only' : 'open'];
    return `${r.jid}  ${r.occupants} occupants  ${flags.join(',')}  ${typeof c.name === 'string' ? c.name : ''}`.trimEnd();
  });
}

export async function destroyRoomCommand(store: Store, config: ParleyConfig, arg: string): Promise<string> {
  const jid = roomJid(config, arg);
  if (!(await store.muc.deleteRoom(jid))) throw new RoomCommandError(`no room ${jid}`);
  return jid;
}

export async function configRoomCommand(store: Store, config: ParleyConfig, arg: string, settings: string[]): Promise<Record<string, unknown>> {
  const jid = roomJid(config, arg);
  const room = await store.muc.getRoom(jid);
  if (!room) throw new RoomCommandError(`no room ${jid}`);
  if (settings.length === 0) return room.config;
  const next = applySettings(room.config, settings);
  await store.muc.putRoom(jid, next);
  return next;
}

/** The four room commands, wherever the database is. */
export interface RoomOps {
  create(room: string, owner: string | undefined, settings: string[]): Promise<string>;
  list(): Promise<string[]>;
  config(room: string, settings: string[]): Promise<Record<string, unknown>>;
  destroy(room: string): Promise<string>;
}

export function storeRoomOps(store: Store, config: ParleyConfig): RoomOps {
  return {
    create: (room, owner, settings) => createRoomCommand(store, config, room, owner, settings),
    list: () => listRoomsCommand(store, config),
    config: (room, settings) => configRoomCommand(store, config, room, settings),
    destroy: (room) => destroyRoomCommand(store, config, room),
  };
}

type Call = (method: string, path: string, body?: unknown) => Promise<Record<string, unknown>>;

/** The same commands through a running server's admin socket (`call`: callAdminSocket on its data directory). */
export function socketRoomOps(call: Call): RoomOps {
  const at = (room: string) => `/rooms/${encodeURIComponent(room)}`;
  return {
    create: async (room, owner, settings) => String((await call('POST', '/rooms', { room, owner, settings })).jid),
    list: async () => (await call('GET', '/rooms')).rooms as string[],
    config: async (room, settings) => (await call('PUT', `${at(room)}/config`, { settings })).config as Record<string, unknown>,
    destroy: async (room) => String((await call('DELETE', at(room))).jid),
  };
}

/** The admin socket's room routes, on the server's own store. */
export function mountRoomRoutes(app: FastifyInstance, ops: RoomOps): void {
  type Body = { room?: string; owner?: string; settings?: string[] };
  const settingsOf = (b: Body | undefined) => (Array.isArray(b?.settings) ? b.settings.map(String) : []);
  app.post<{ Body: Body }>('/rooms', async (req) => ({ jid: await ops.create(String(req.body?.room ?? ''), req.body?.owner, settingsOf(req.body)) }));
  app.get('/rooms', async () => ({ rooms: await ops.list() }));
  app.put<{ Params: { room: string }; Body: Body }>('/rooms/:room/config', async (req) => ({ config: await ops.config(req.params.room, settingsOf(req.body)) }));
  app.delete<{ Params: { room: string } }>('/rooms/:room', async (req) => ({ jid: await ops.destroy(req.params.room) }));
}
