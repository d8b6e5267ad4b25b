// Room owners (XEP-0045 §10): the configuration form (XEP-0004) for instant and reserved rooms,
// configuration changes announced to occupants, and destroying a room.
import { tryParseJid } from '@parley/jid';
import { NS } from '@parley/stanza';
import type { RoomAdminAction } from '@parley/wire';
import { type Element, xml } from '@parley/xml';
import type { IqAnswer } from './admin.ts';
import { MUC, STATUS } from './ns.ts';
import { archiving } from './archive.ts';
import { effectiveAffiliation, removeOccupant } from './occupants.ts';
import type { Ctx } from './options.ts';
import { applyRoomSettings } from './settings.ts';
import { broadcastPresence } from './presence.ts';
import { affRank, allSessions, configFrom, OCCUPANT_ROLES, type OccupantRole, type RoomConfig, type Room } from './state.ts';
import { loadRoom, saveConfig } from './store.ts';

const F = (name: string) => `muc#roomconfig_${name}`;

function field(v: string, type: string, label: string, values: Array<string | number | boolean>, options?: string[]): Element {
  return xml(
    'field',
    { var: v, type, label },
    ...values.map((x) => xml('value', null, typeof x === 'boolean' ? (x ? '1' : '0') : String(x))),
    ...(options ?? []).map((o) => xml('option', { label: o }, xml('value', null, o))),
  );
}

/** §10.2: the configuration form with the room's current values. */
export function configForm(room: Room, archived: boolean | null): Element {
  const c = room.config;
  return xml(
    'x',
    { xmlns: MUC.data, type: 'form' },
    xml('title', null, `Configuration of ${room.jid}`),
    field('FORM_TYPE', 'hidden', '', [MUC.roomconfig]),
    field(F('roomname'), 'text-single', 'Name', [c.name]),
    field(F('roomdesc'), 'text-single', 'Description', [c.description]),
    field(F('persistentroom'), 'boolean', 'Persistent (kept when empty)', [c.persistent]),
    field(F('publicroom'), 'boolean', 'Listed in the room directory', [c.public]),
    field(F('membersonly'), 'boolean', 'Members only', [c.membersOnly]),
    field(F('moderatedroom'), 'boolean', 'Moderated (only participants speak)', [c.moderated]),
    field(F('passwordprotectedroom'), 'boolean', 'Password required', [c.password !== null]),
    field(F('roomsecret'), 'text-private', 'Password', c.password ? [c.password] : []),
    field(F('maxusers'), 'list-single', 'Maximum occupants', [c.maxUsers], ['10', '20', '50', '100', '200', '500', '1000']),
    field(F('whois'), 'list-single', 'Who may see real JIDs', [c.whois], ['moderators', 'anyone']),
    field(F('allowinvites'), 'boolean', 'Occupants may invite', [c.allowInvites]),
    field(F('changesubject'), 'boolean', 'Occupants may change the subject', [c.changeSubject]),
    field(F('allowpm'), 'list-single', 'Who may send private messages', [c.allowPm], ['anyone', 'participants', 'moderators', 'none']),
    field(F('presencebroadcast'), 'list-multi', 'Roles whose presence is broadcast', c.presenceBroadcast, [...OCCUPANT_ROLES]),
    // Prosody's mod_muc_mam field (XEP-0313 §5.1.2 leaves archiving to the room's policy); offered when rooms keep archives.
    archived === null ? null : field(F('enablearchiving'), 'boolean', 'Archive the room’s messages (XEP-0313)', [archived]),
  );
}

const bool = (v: string | undefined) => (v === '1' || v === 'true' ? true : v === '0' || v === 'false' ? false : undefined);

/** Apply a submitted form to a copy of the configuration; a string is the error text. */
export function applyForm(current: RoomConfig, form: Element, maxOccupants: number): RoomConfig | string {
  // What the form showed for archiving: a value resubmitted unchanged keeps following persistence.
  const shownArchive = current.archive ?? current.persistent;
  const next: RoomConfig = { ...current };
  let wantsPassword: boolean | undefined;
  for (const f of form.getChildren('field')) {
    const name = f.attr('var');
    const values = f.getChildren('value').map((v) => v.text());
    const v = values[0];
    const b = bool(v);
    switch (name) {
      case F('roomname'):
        next.name = v ?? '';
        break;
      case F('roomdesc'):
        next.description = v ?? '';
        break;
      case F('persistentroom'):
      case F('publicroom'):
      case F('membersonly'):
      case F('moderatedroom'):
      case F('passwordprotectedroom'):
      case F('allowinvites'):
      case F('changesubject'):
      case F('enablearchiving'): {
        if (b === undefined) return `${name} must be a boolean`;
        if (name === F('persistentroom')) next.persistent = b;
        else if (name === F('publicroom')) next.public = b;
        else if (name === F('membersonly')) next.membersOnly = b;
        else if (name === F('moderatedroom')) next.moderated = b;
        else if (name === F('passwordprotectedroom')) wantsPassword = b;
        else if (name === F('allowinvites')) next.allowInvites = b;
        else if (name === F('enablearchiving')) next.archive = current.archive === null && b === shownArchive ? null : b;
        else next.changeSubject = b;
        break;
      }
      case F('roomsecret'):
        next.password = v ? v : null;
        break;
      case F('maxusers'): {
        const n = v === 'none' || v === undefined ? maxOccupants : Number.parseInt(v, 10);
        if (!Number.isInteger(n) || n < 1) return 'maxusers must be a positive number';
        next.maxUsers = Math.min(n, maxOccupants);
        break;
      }
      case F('whois'):
        if (v !== 'moderators' && v !== 'anyone') return 'whois is moderators or anyone';
        next.whois = v;
        break;
      case F('presencebroadcast'): {
        const bad = values.find((r) => !OCCUPANT_ROLES.includes(r as OccupantRole));
        if (bad !== undefined) return `presencebroadcast takes moderator, participant and visitor, not ${bad}`;
        next.presenceBroadcast = OCCUPANT_ROLES.filter((r) => values.includes(r));
        break;
      }
      case F('allowpm'):
        if (v !== 'anyone' && v !== 'participants' && v !== 'moderators' && v !== 'none') return 'allowpm is anyone, participants, moderators or none';
        next.allowPm = v;
        break;
      default:
        break; // XEP-0004 §3.2: fields we do not know are ignored
    }
  }
  if (wantsPassword === false) next.password = null;
  if (wantsPassword === true && !next.password) return 'a password-protected room needs roomsecret';
  next.locked = false;
  return next;
}

export function ownerGet(ctx: Ctx, room: Room, from: string, query: Element): IqAnswer {
  if (effectiveAffiliation(ctx, room, from.slice(0, from.indexOf('/'))) !== 'owner') return { error: 'forbidden', text: 'only owners configure the room' };
  if (query.getChildElements().length) return { error: 'bad-request' };
  return { result: [xml('query', { xmlns: MUC.owner }, configForm(room, ctx.opts.archive ? archiving(ctx, room) : null))] };
}

export async function ownerSet(ctx: Ctx, room: Room, from: string, query: Element): Promise<IqAnswer> {
  if (effectiveAffiliation(ctx, room, from.slice(0, from.indexOf('/'))) !== 'owner') return { error: 'forbidden', text: 'only owners configure the room' };
  const destroy = query.getChild('destroy');
  if (destroy) {
    await destroyRoom(ctx, room, destroy.attr('jid'), destroy.getChildText('reason'));
    return { result: [] };
  }
  const form = query.getChild('x', MUC.data);
  if (!form) return { error: 'bad-request', text: 'submit a form or destroy the room' };
  if (form.attr('type') === 'cancel') {
    // §10.1.3: cancelling the initial configuration destroys the new room.
    if (room.config.locked) await destroyRoom(ctx, room, undefined, undefined);
    return { result: [] };
  }
  if (form.attr('type') !== 'submit') return { error: 'bad-request', text: 'the form type must be submit or cancel' };
  const next = applyForm(room.config, form, ctx.opts.maxOccupants);
  if (typeof next === 'string') return { error: 'not-acceptable', text: next };
  await changeConfig(ctx, room, next);
  return { result: [] };
}

/**
 * A new configuration, saved and in force at once: occupants are told it changed (§10.2.1), and a
 * room that became members-only removes its non-members (§9.4, §10.2).
 */
export async function changeConfig(ctx: Ctx, room: Room, next: RoomConfig): Promise<void> {
  const before = room.config;
  room.config = next;
  await saveConfig(ctx, room);
  if (!before.locked) {
    // §10.2.1: occupants are told the configuration changed (172/173 when anonymity changed).
    const codes: string[] = [STATUS.configChanged];
    if (before.whois !== next.whois) codes.push(next.whois === 'anyone' ? STATUS.nowNonAnonymous : STATUS.nowSemiAnonymous);
    const note = xml('message', { xmlns: NS.client, type: 'groupchat', from: room.jid, id: `config-${ctx.now().toString(36)}` }, xml('x', { xmlns: MUC.user }, ...codes.map((code) => xml('status', { code }))));
    ctx.env.publish([...allSessions(room)].map((s) => s.session), note.toString(), true);
    // §10.2 presencebroadcast changed: occupants of a role now broadcast are announced to the others,
    // those of a role no longer broadcast are shown leaving (as Prosody's presence_broadcast does).
    for (const occ of room.occupants.values()) {
      const was = occ.role !== 'none' && before.presenceBroadcast.includes(occ.role);
      const now = occ.role !== 'none' && next.presenceBroadcast.includes(occ.role);
      if (was !== now) await broadcastPresence(ctx, room, occ, { wasShown: was });
    }
  }
  // §9.4 and §10.2: a room that became members-only removes non-members (322).
  if (next.membersOnly && !before.membersOnly) {
    for (const occ of [...room.occupants.values()]) {
      if (affRank(effectiveAffiliation(ctx, room, occ.bare)) < affRank('member')) await removeOccupant(ctx, room, occ, { codes: [STATUS.membersOnly] });
    }
  }
}

/**
 * An administrator's change from the CLI (`room-admin`), in the room's order like an owner's form:
 * the settings onto the configuration the actor holds, or destroy with the reason (§10.9).
 */
export async function adminAction(ctx: Ctx, room: Room, action: RoomAdminAction): Promise<void> {
  // The CLI may have created the room after this actor last read it (it writes the store directly).
  if (!room.exists) Object.assign(room, await loadRoom(ctx, room.jid));
  if (!room.exists) return; // gone meanwhile: the CLI reads the store and says so
  if (action.op === 'destroy') return destroyRoom(ctx, room, undefined, action.reason);
  const next = applyRoomSettings(room.config as unknown as Record<string, unknown>, action.settings);
  if (typeof next === 'string') {
    ctx.env.log.warn('room settings refused', { room: room.jid, problem: next }); // the CLI checked them first
    return;
  }
  await changeConfig(ctx, room, configFrom(next, room.jid.slice(0, room.jid.indexOf('@')), ctx.opts.maxOccupants));
}

/** §10.9: every occupant is told (with the alternate venue and reason), then the room is gone. */
export async function destroyRoom(ctx: Ctx, room: Room, venue: string | undefined, reason: string | undefined): Promise<void> {
  const alt = venue ? tryParseJid(venue)?.toString() : undefined;
  const destroy = xml('destroy', { jid: alt }, reason !== undefined ? xml('reason', null, reason) : null);
  for (const occ of [...room.occupants.values()]) await removeOccupant(ctx, room, occ, { destroy: destroy.clone() });
  ctx.own.owned();
  await ctx.env.store.muc.deleteRoom(room.jid);
  Object.assign(room, { exists: false, affiliations: new Map(), subject: null, subjectBy: null });
}
