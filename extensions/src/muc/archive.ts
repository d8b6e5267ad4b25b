// A room's message archive (XEP-0313 §5.1.2 MUC archives): the groupchat messages the room
// broadcasts are kept in the archive whose owner is the room's bare JID, each copy carrying the
// XEP-0359 stanza-id the room gave it; a MAM query to the room JID is answered by the room actor
// with the archive module's paging (extensions/src/mam), under the room's access rules.
import type { Origin } from '@parley/wire';
import { type Element, xml } from '@parley/xml';
import { archivableInRoom, archivedContent, NS_SID, servePage, withoutForgedIds } from '../mam/index.ts';
import type { IqAnswer } from './admin.ts';
import { MUC } from './ns.ts';
import { effectiveAffiliation } from './occupants.ts';
import type { Ctx } from './options.ts';
import { affRank, occupantOf, type Room } from './state.ts';

/** Whether this room keeps an archive: the owner's choice, by default on for persistent rooms. */
export function archiving(ctx: Ctx, room: Room): boolean {
  return ctx.opts.archive ? (room.config.archive ?? room.config.persistent) : false;
}

/**
 * A client's groupchat message without what only the room may say: a stanza-id by the room
 * (XEP-0359 §5) and a muc#user item naming a real JID (the room adds that to its archive only).
 */
export function cleanGroupchat(room: Room, stanza: Element): Element {
  const clean = withoutForgedIds(stanza, [room.jid]);
  const spoofed = clean.getChildren('x', MUC.user);
  if (spoofed.length === 0) return clean;
  const out = clean === stanza ? stanza.clone() : clean;
  for (const x of out.getChildren('x', MUC.user)) out.remove(x);
  return out;
}

/**
 * Archive the reflected message `out` (from room/nick) sent by `realJid`; returns the copy with its
 * stanza-id for the occupants, or `out` itself when the room keeps no archive of it. The row is
 * written before the broadcast, so a message occupants saw is in the archive; a retried hand-off
 * (`handoff`) is kept once and gets the same id.
 */
export async function archiveGroupchat(ctx: Ctx, room: Room, out: Element, nick: string, realJid: string, handoff: string | undefined): Promise<Element> {
  if (!archiving(ctx, room) || !archivableInRoom(out)) return out;
  // §5.1.2: the real JID is kept (non-anonymous rooms and moderators see it in query results).
  const stored = out.clone();
  stored.append(xml('x', { xmlns: MUC.user }, xml('item', { jid: realJid })));
  ctx.own.owned();
  const [id] = await ctx.env.store.archive.append([
    { ...archivedContent(stored, new Date(ctx.now()), handoff), owner: room.jid, with: room.jid, peer: `${room.jid}/${nick}`, dir: 'in' },
  ]);
  ctx.metrics?.archiveWrites.inc();
  const stamped = out.clone();
  stamped.append(xml('stanza-id', { xmlns: NS_SID, by: room.jid, id: id! }));
  return stamped;
}

/**
 * §5.1.2: the archive is for those who may join — not outcasts, only members (and admins, owners)
 * of a members-only room, only occupants or affiliated users of a password-protected one. A kick is
 * not a ban (XEP-0045 §8.2 vs §9.1): the rejoin cooldown keeps a kicked user out of the room, not out
 * of an archive that any non-outcast may read (Prosody's and ejabberd's rule too); docs/chatrooms.md.
 */
function mayRead(ctx: Ctx, room: Room, from: string): IqAnswer | null {
  const bare = from.slice(0, from.indexOf('/'));
  const aff = effectiveAffiliation(ctx, room, bare);
  if (room.config.locked && aff !== 'owner') return { error: 'item-not-found', text: 'no such room' };
  if (aff === 'outcast') return { error: 'forbidden', text: 'you are banned from this room' };
  const present = occupantOf(room, from) !== undefined;
  if (room.config.membersOnly && affRank(aff) < affRank('member')) return { error: 'forbidden', text: 'this archive is for members only' };
  if (room.config.password !== null && !present && affRank(aff) < affRank('member')) return { error: 'forbidden', text: 'join the room to read its archive' };
  return null;
}

/** §5.1.2: real JIDs in results only where the room is non-anonymous or the requester is a moderator. */
function maySeeRealJids(ctx: Ctx, room: Room, from: string): boolean {
  if (room.config.whois === 'anyone') return true;
  if (occupantOf(room, from)?.role === 'moderator') return true;
  return affRank(effectiveAffiliation(ctx, room, from.slice(0, from.indexOf('/')))) >= affRank('admin');
}

/** A MAM query (§4) to the room's bare JID. */
export async function queryRoomArchive(ctx: Ctx, room: Room, from: string, query: Element, origin: Origin | undefined): Promise<IqAnswer> {
  if (!ctx.opts.archive || !archiving(ctx, room)) return { error: 'service-unavailable', text: 'this room keeps no archive' };
  const refused = mayRead(ctx, room, from);
  if (refused) return refused;
  const realJids = maySeeRealJids(ctx, room, from);
  const outcome = await servePage({
    archive: ctx.env.store.archive,
    payload: query,
    owner: room.jid,
    to: from,
    limits: ctx.opts.archive,
    shown: realJids
      ? undefined
      : (stored) => {
          for (const x of stored.getChildren('x', MUC.user)) stored.remove(x);
          return stored;
        },
    send: (m) => ctx.env.answer(origin, m),
  });
  if ('error' in outcome) return { error: outcome.error, text: outcome.text };
  ctx.metrics?.archiveQueries.inc();
  return { result: outcome.result };
}
