// Service discovery of the chatroom service and its rooms (XEP-0045 §6): the service's identity,
// the room directory (its disco#items: public rooms), and each room's features with the room
// information form (XEP-0128, muc#roominfo).
import { NS } from '@parley/stanza';
import { type Element, xml } from '@parley/xml';
import type { IqAnswer } from './admin.ts';
import { NS_MAM, NS_MAM_EXTENDED, NS_SID } from '../mam/index.ts';
import { MUC } from './ns.ts';
import type { Ctx } from './options.ts';
import type { Room } from './state.ts';

export const SERVICE_FEATURES = [NS.discoInfo, NS.discoItems, MUC.base, MUC.conference, MUC.occupantId, MUC.selfPing, MUC.register, NS.ping];

/** §6.1: what the service is. */
export function serviceInfo(query: Element): IqAnswer {
  if (query.attr('node')) return { error: 'item-not-found' };
  return {
    result: [xml('query', { xmlns: NS.discoInfo }, xml('identity', { category: 'conference', type: 'text', name: 'Chatrooms' }), ...SERVICE_FEATURES.map((f) => xml('feature', { var: f })))],
  };
}

/** §6.3: the room directory — public rooms only (hidden ones are not listed), with their names. */
export async function serviceItems(ctx: Ctx, query: Element): Promise<IqAnswer> {
  if (query.attr('node')) return { error: 'item-not-found' };
  const rooms = await ctx.env.store.muc.listRooms(ctx.env.service);
  const items = rooms
    .filter((r) => r.config.public !== false && r.config.locked !== true)
    .map((r) => xml('item', { jid: r.jid, name: typeof r.config.name === 'string' && r.config.name ? r.config.name : r.jid.slice(0, r.jid.indexOf('@')) }));
  return { result: [xml('query', { xmlns: NS.discoItems }, ...items)] };
}

function formField(v: string, value: string | number, label?: string, type?: string): Element {
  return xml('field', { var: v, label, type }, xml('value', null, String(value)));
}

/** §6.4 and XEP-0128: the room's features and its information form. */
export function roomInfo(room: Room, query: Element, archived: boolean): IqAnswer {
  if (query.attr('node')) return { error: 'item-not-found' };
  const c = room.config;
  const features = [
    MUC.base,
    NS.discoInfo,
    NS.discoItems,
    MUC.occupantId,
    MUC.selfPing,
    MUC.stableId,
    MUC.conference,
    MUC.register,
    c.public ? 'muc_public' : 'muc_hidden',
    c.persistent ? 'muc_persistent' : 'muc_temporary',
    c.membersOnly ? 'muc_membersonly' : 'muc_open',
    c.moderated ? 'muc_moderated' : 'muc_unmoderated',
    c.password ? 'muc_passwordprotected' : 'muc_unsecured',
    c.whois === 'anyone' ? 'muc_nonanonymous' : 'muc_semianonymous',
    // XEP-0313 §7: a room that keeps an archive says so (and XEP-0359 §6: it stamps stanza-ids).
    ...(archived ? [NS_MAM, NS_MAM_EXTENDED, NS_SID] : []),
  ];
  const form = xml(
    'x',
    { xmlns: MUC.data, type: 'result' },
    formField('FORM_TYPE', MUC.roominfo, undefined, 'hidden'),
    formField('muc#roominfo_description', c.description, 'Description'),
    formField('muc#roominfo_occupants', room.occupants.size, 'Number of occupants'),
    formField('muc#roominfo_subject', room.subject ?? '', 'Subject'),
    formField('muc#roomconfig_roomname', c.name, 'Name'),
    formField('muc#roominfo_changesubject', c.changeSubject ? '1' : '0', 'Occupants may change the subject', 'boolean'),
  );
  return {
    result: [xml('query', { xmlns: NS.discoInfo }, xml('identity', { category: 'conference', type: 'text', name: c.name || room.jid }), ...features.map((f) => xml('feature', { var: f })), form)],
  };
}

/** §6.5: the occupants of a public room by room nickname (never their real JIDs). */
export function roomItems(room: Room, query: Element): IqAnswer {
  if (query.attr('node')) return { error: 'item-not-found' };
  const items = room.config.public ? [...room.occupants.keys()].map((nick) => xml('item', { jid: `${room.jid}/${nick}`, name: nick })) : [];
  return { result: [xml('query', { xmlns: NS.discoItems }, ...items)] };
}
