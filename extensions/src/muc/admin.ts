// Moderation and affiliations (XEP-0045 §8 moderator use cases, §9 admin use cases, §10.3-10.7
// owner and admin lists): one muc#admin query may change several items; all are checked first.
import { tryParseJid } from '@parley/jid';
import type { MucAffiliation } from '@parley/store';
import { type Element, xml } from '@parley/xml';
import { MUC, STATUS } from './ns.ts';
import { effectiveAffiliation, type Outcome, persistSession, removeOccupant } from './occupants.ts';
import type { Ctx } from './options.ts';
import { broadcastPresence, broadcastsRole } from './presence.ts';
import { type Affiliation, affRank, defaultRole, type Occupant, occupantOf, type Role, type Room } from './state.ts';

const ROLES = new Set<Role>(['moderator', 'participant', 'visitor', 'none']);
const AFFILIATIONS = new Set<Affiliation>(['owner', 'admin', 'member', 'outcast', 'none']);

export type IqAnswer = { result: Element[] } | { error: NonNullable<Outcome>['error']; text?: string };

/** §9.5, §8.5, §10.5: the list of one affiliation (admins and owners) or one role (moderators). */
export function adminGet(ctx: Ctx, room: Room, from: string, query: Element): IqAnswer {
  const item = query.getChild('item');
  const bare = from.slice(0, from.indexOf('/'));
  const aff = effectiveAffiliation(ctx, room, bare);
  const actor = occupantOf(room, from);
  const wantAff = item?.attr('affiliation') as Affiliation | undefined;
  const wantRole = item?.attr('role') as Role | undefined;
  if (wantAff && AFFILIATIONS.has(wantAff) && wantAff !== 'none') {
    // §9.5: admins and owners see the lists; members of a members-only room may see the member list.
    const member = wantAff === 'member' && room.config.membersOnly && affRank(aff) >= affRank('member');
    if (affRank(aff) < affRank('admin') && !member) return { error: 'forbidden', text: 'only admins may see this list' };
    const items = [...room.affiliations].filter(([, a]) => a.affiliation === wantAff).map(([jid, a]) =>
      xml('item', { affiliation: a.affiliation, jid, nick: a.nick ?? undefined }, a.reason ? xml('reason', null, a.reason) : null),
    );
    return { result: [xml('query', { xmlns: MUC.admin }, ...items)] };
  }
  if (wantRole && ROLES.has(wantRole) && wantRole !== 'none') {
    if (actor?.role !== 'moderator' && affRank(aff) < affRank('admin')) return { error: 'forbidden', text: 'only moderators may see this list' };
    const items = [...room.occupants.values()]
      .filter((o) => o.role === wantRole)
      .map((o) => xml('item', { role: o.role, nick: o.nick, affiliation: effectiveAffiliation(ctx, room, o.bare), jid: [...o.sessions.keys()][0] }));
    return { result: [xml('query', { xmlns: MUC.admin }, ...items)] };
  }
  return { error: 'bad-request', text: 'ask for one affiliation or one role' };
}

interface RoleChange {
  kind: 'role';
  target: Occupant;
  role: Role;
  reason?: string;
}
interface AffChange {
  kind: 'aff';
  jid: string;
  affiliation: Affiliation;
  nick?: string;
  reason?: string;
}

/** §8 and §9: set roles (by nick) and affiliations (by JID or nick). */
export async function adminSet(ctx: Ctx, room: Room, from: string, query: Element): Promise<IqAnswer> {
  const bare = from.slice(0, from.indexOf('/'));
  const aff = effectiveAffiliation(ctx, room, bare);
  const actor = occupantOf(room, from);
  const isModerator = actor?.role === 'moderator' || affRank(aff) >= affRank('admin');
  const changes: Array<RoleChange | AffChange> = [];
  const items = query.getChildren('item');
  if (items.length === 0) return { error: 'bad-request', text: 'no item to change' };
  for (const item of items) {
    const reason = item.getChildText('reason');
    const role = item.attr('role') as Role | undefined;
    const affiliation = item.attr('affiliation') as Affiliation | undefined;
    if (role !== undefined) {
      if (!ROLES.has(role)) return { error: 'bad-request', text: `no role ${role}` };
      const target = room.occupants.get(item.attr('nick') ?? '');
      if (!target) return { error: 'item-not-found', text: 'no occupant with that nickname' };
      if (!isModerator) return { error: 'forbidden', text: 'only moderators change roles' };
      const targetAff = effectiveAffiliation(ctx, room, target.bare);
      // §8.2, §8.4: nobody kicks or silences an admin or owner; §9.7: only admins grant or revoke moderator.
      if ((role === 'none' || role === 'visitor') && affRank(targetAff) >= affRank('admin')) return { error: 'not-allowed', text: 'admins and owners keep their role' };
      if ((role === 'moderator' || target.role === 'moderator') && affRank(aff) < affRank('admin')) return { error: 'not-allowed', text: 'only admins change moderators' };
      changes.push({ kind: 'role', target, role, reason });
      continue;
    }
    if (affiliation !== undefined) {
      if (!AFFILIATIONS.has(affiliation)) return { error: 'bad-request', text: `no affiliation ${affiliation}` };
      let jid: string | undefined;
      if (item.attr('jid')) {
        const parsed = tryParseJid(item.attr('jid')!);
        if (!parsed || parsed.local === null) return { error: 'jid-malformed', text: 'affiliations are for user JIDs' };
        jid = parsed.bareString();
      } else jid = room.occupants.get(item.attr('nick') ?? '')?.bare;
      if (!jid) return { error: 'item-not-found', text: 'name a JID or an occupant' };
      const targetAff = effectiveAffiliation(ctx, room, jid);
      // §9 admins manage members and outcasts below them; §10 only owners manage admins and owners.
      if (affRank(aff) < affRank('admin')) return { error: 'forbidden', text: 'only admins change affiliations' };
      if ((affiliation === 'owner' || affiliation === 'admin' || affRank(targetAff) >= affRank('admin')) && aff !== 'owner') return { error: 'not-allowed', text: 'only owners change admins and owners' };
      if (ctx.opts.admins.includes(jid) && affiliation === 'outcast') return { error: 'not-allowed', text: 'service administrators cannot be banned' };
      changes.push({ kind: 'aff', jid, affiliation, nick: item.attr('nick'), reason });
      continue;
    }
    return { error: 'bad-request', text: 'an item needs a role or an affiliation' };
  }
  // §10.7: a room always keeps an owner.
  const owners = new Set([...room.affiliations].filter(([, a]) => a.affiliation === 'owner').map(([j]) => j));
  for (const c of changes) if (c.kind === 'aff') c.affiliation === 'owner' ? owners.add(c.jid) : owners.delete(c.jid);
  if (owners.size === 0) return { error: 'conflict', text: 'the room would have no owner' };

  for (const c of changes) {
    if (c.kind === 'role') await applyRole(ctx, room, c, actor?.nick);
    else await applyAffiliation(ctx, room, c, actor?.nick);
  }
  return { result: [] };
}

async function applyRole(ctx: Ctx, room: Room, c: RoleChange, actorNick: string | undefined): Promise<void> {
  if (!room.occupants.has(c.target.nick)) return;
  if (c.role === 'none') {
    // §8.2: kicked, with status 307 — every resource and every nickname of that user, and it stays out
    // for a while (issue 8 §4: not back through another resource or nickname).
    room.kicked.set(c.target.bare, ctx.now() + (ctx.opts.kickCooldownMs ?? 30_000));
    for (const occ of [...room.occupants.values()].filter((o) => o.bare === c.target.bare)) {
      await removeOccupant(ctx, room, occ, { codes: [STATUS.kicked], actorNick, reason: c.reason });
    }
    return;
  }
  const wasShown = broadcastsRole(room, c.target.role);
  c.target.role = c.role;
  for (const s of c.target.sessions.values()) await persistSession(ctx, room, c.target, s);
  await broadcastPresence(ctx, room, c.target, { actorNick, reason: c.reason, wasShown });
}

async function applyAffiliation(ctx: Ctx, room: Room, c: AffChange, actorNick: string | undefined): Promise<void> {
  ctx.own.owned();
  await ctx.env.store.muc.setAffiliation(room.jid, { jid: c.jid, affiliation: c.affiliation as MucAffiliation | 'none', nick: c.nick ?? null, reason: c.reason ?? null });
  if (c.affiliation === 'none') room.affiliations.delete(c.jid);
  else room.affiliations.set(c.jid, { affiliation: c.affiliation, nick: c.nick ?? room.affiliations.get(c.jid)?.nick ?? null, reason: c.reason ?? null });
  // Every occupant of that user, whatever its nickname (a ban covers all resources and nicknames).
  for (const occ of [...room.occupants.values()].filter((o) => o.bare === c.jid)) {
    if (c.affiliation === 'outcast') {
      await removeOccupant(ctx, room, occ, { codes: [STATUS.banned], actorNick, reason: c.reason }); // §9.1
    } else if (room.config.membersOnly && affRank(c.affiliation) < affRank('member')) {
      await removeOccupant(ctx, room, occ, { codes: [STATUS.affiliationChanged], actorNick, reason: c.reason }); // §9.4
    } else {
      const wasShown = broadcastsRole(room, occ.role);
      occ.role = defaultRole(room, effectiveAffiliationOf(ctx, room, c.jid));
      for (const s of occ.sessions.values()) await persistSession(ctx, room, occ, s);
      await broadcastPresence(ctx, room, occ, { actorNick, reason: c.reason, wasShown });
    }
  }
}

const effectiveAffiliationOf = effectiveAffiliation;
