// `parley room create|list|destroy|config`: the administrators' way to manage chatrooms (issue 8:
// rooms are created by administrators by default). Works on the database: directly when no server
// holds it, through the running embedded server's admin socket otherwise (docs/decisions/0005).
// Configuration changes and destroys go through the room's actor whenever a chatroom service runs
// (embedded, or over NATS in cluster mode), so they apply at once and occupants are told; a room
// created here is read by its actor when someone enters it.
import { UserError } from '@parley/admin';
import { chatroomDomain, type ParleyConfig } from '@parley/config';
import { HandOffError, requestWithRetry } from '@parley/actor';
import { type Bus, connectNatsBus } from '@parley/bus';
import { applyRoomSettings, defaultRoomConfig } from '@parley/extensions';
import { tryParseJid } from '@parley/jid';
import type { Store } from '@parley/store';
import { actorShardSubject, SHARD_COUNT, shardOf } from '@parley/subjects';
import { decodeWire, encodeWire, type RoomAdminAction, type WireMessage } from '@parley/wire';
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

/** key=value settings onto a room configuration (the muc module's RoomConfig fields). */
export function applySettings(current: Record<string, unknown>, settings: string[]): Record<string, unknown> {
  const next = applyRoomSettings(current, settings);
  if (typeof next === 'string') throw new RoomCommandError(next);
  return next;
}

/**
 * Hands an administrator's change to the room's actor, when a chatroom service runs: resolves true
 * once the actor applied it, false when no chatroom service answers (then the store is changed directly).
 */
export type RoomActors = (room: string, action: RoomAdminAction) => Promise<boolean>;

/** The room actors of the chatroom service on `bus` (the embedded server's, or the cluster's over NATS). */
export function roomActorsOn(bus: Bus<WireMessage>): RoomActors {
  return async (room, action) => {
    const subject = actorShardSubject('chatroom', shardOf(room, SHARD_COUNT));
    try {
      // A few quick attempts ride out a shard changing owner; `no-responders` after them means no chatroom service runs.
      const reply = await requestWithRetry(bus, subject, { kind: 'room-admin', key: room, action }, { attempts: 3, timeoutMs: 10_000 });
      if (!reply.ok) throw new RoomCommandError(`the chatroom service refused: ${reply.text ?? reply.condition}`);
      return true;
    } catch (err) {
      if (err instanceof HandOffError && err.last === 'no-responders') return false;
      throw err;
    }
  };
}

/**
 * Cluster mode: the room actors over NATS for the length of one command; without a reachable NATS
 * (nothing runs) the command works on the store alone.
 */
export function withClusterRoomActors<T>(config: ParleyConfig, fn: (actors: RoomActors | undefined) => Promise<T>): Promise<T> {
  // NATS down means no chatroom service runs either.
  return withClusterBus(config, (bus) => fn(bus ? roomActorsOn(bus) : undefined));
}

/** The cluster's bus for one CLI command (null when NATS is not configured or cannot be reached). */
export async function withClusterBus<T>(config: ParleyConfig, fn: (bus: Bus<WireMessage> | null) => Promise<T>): Promise<T> {
  if (!config.natsUrl) return fn(null);
  let bus: Bus<WireMessage> | null = null;
  try {
    bus = await connectNatsBus<WireMessage>({
      url: config.natsUrl!,
      codec: { encode: encodeWire, decode: decodeWire },
      name: 'parley-cli',
      subjectPrefix: config.clusterName,
      tls: config.natsCaFile || config.natsCertFile ? { caFile: config.natsCaFile ?? undefined, certFile: config.natsCertFile ?? undefined, keyFile: config.natsKeyFile ?? undefined } : undefined,
    });
  } catch {
    bus = null;
  }
  try {
    return await fn(bus);
  } finally {
    await bus?.close();
  }
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

/** XEP-0045 §10.9: through the room's actor when one runs (occupants are told, with `reason`), else in the store. */
export async function destroyRoomCommand(store: Store, config: ParleyConfig, arg: string, reason?: string, actors?: RoomActors): Promise<string> {
  const jid = roomJid(config, arg);
  if (!(await store.muc.getRoom(jid))) throw new RoomCommandError(`no room ${jid}`);
  if (actors && (await actors(jid, { op: 'destroy', reason }))) return jid;
  if (!(await store.muc.deleteRoom(jid))) throw new RoomCommandError(`no room ${jid}`);
  return jid;
}

/** §10.2: through the room's actor when one runs (in force at once, occupants told), else in the store. */
export async function configRoomCommand(store: Store, config: ParleyConfig, arg: string, settings: string[], actors?: RoomActors): Promise<Record<string, unknown>> {
  const jid = roomJid(config, arg);
  const room = await store.muc.getRoom(jid);
  if (!room) throw new RoomCommandError(`no room ${jid}`);
  if (settings.length === 0) return room.config;
  const next = applySettings(room.config, settings); // refused here, before anything changes
  if (actors && (await actors(jid, { op: 'config', settings }))) {
    const applied = await store.muc.getRoom(jid);
    if (!applied) throw new RoomCommandError(`no room ${jid}`);
    return applied.config;
  }
  await store.muc.putRoom(jid, next);
  return next;
}

/** The four room commands, wherever the database is. */
export interface RoomOps {
  create(room: string, owner: string | undefined, settings: string[]): Promise<string>;
  list(): Promise<string[]>;
  config(room: string, settings: string[]): Promise<Record<string, unknown>>;
  destroy(room: string, reason?: string): Promise<string>;
}

/** The commands on `store`; config and destroy through the room actors when `actors` reach a chatroom service. */
export function storeRoomOps(store: Store, config: ParleyConfig, actors?: RoomActors): RoomOps {
  return {
    create: (room, owner, settings) => createRoomCommand(store, config, room, owner, settings),
    list: () => listRoomsCommand(store, config),
    config: (room, settings) => configRoomCommand(store, config, room, settings, actors),
    destroy: (room, reason) => destroyRoomCommand(store, config, room, reason, actors),
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
    destroy: async (room, reason) => String((await call('DELETE', `${at(room)}${reason === undefined ? '' : `?reason=${encodeURIComponent(reason)}`}`)).jid),
  };
}

/** The admin socket's room routes, on the server's own store. */
export function mountRoomRoutes(app: FastifyInstance, ops: RoomOps): void {
  type Body = { room?: string; owner?: string; settings?: string[] };
  const settingsOf = (b: Body | undefined) => (Array.isArray(b?.settings) ? b.settings.map(String) : []);
  app.post<{ Body: Body }>('/rooms', async (req) => ({ jid: await ops.create(String(req.body?.room ?? ''), req.body?.owner, settingsOf(req.body)) }));
  app.get('/rooms', async () => ({ rooms: await ops.list() }));
  app.put<{ Params: { room: string }; Body: Body }>('/rooms/:room/config', async (req) => ({ config: await ops.config(req.params.room, settingsOf(req.body)) }));
  app.delete<{ Params: { room: string }; Querystring: { reason?: string } }>('/rooms/:room', async (req) => ({ jid: await ops.destroy(req.params.room, req.query.reason) }));
}
