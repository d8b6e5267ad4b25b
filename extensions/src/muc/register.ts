// Reserved nicknames (XEP-0045 §7.10 registering with a room, §7.12 discovering one's reserved
// nickname): registering makes the user a member whose nickname nobody else may take.
import { NS } from '@parley/stanza';
import { type Element, xml } from '@parley/xml';
import type { IqAnswer } from './admin.ts';
import { MUC } from './ns.ts';
import { effectiveAffiliation } from './occupants.ts';
import type { Ctx } from './options.ts';
import { affRank, nickTakenByOther, type Room } from './state.ts';

const REGISTER_FORM = 'http://jabber.org/protocol/muc#register';

/** §7.10: the registration form, or the nickname already registered. */
export function registerGet(ctx: Ctx, room: Room, from: string): IqAnswer {
  const bare = from.slice(0, from.indexOf('/'));
  const mine = room.affiliations.get(bare);
  if (mine?.nick && affRank(mine.affiliation) >= affRank('member')) {
    return { result: [xml('query', { xmlns: MUC.register }, xml('registered'), xml('username', null, mine.nick))] };
  }
  if (effectiveAffiliation(ctx, room, bare) === 'outcast') return { error: 'forbidden', text: 'you are banned from this room' };
  const form = xml(
    'x',
    { xmlns: MUC.data, type: 'form' },
    xml('title', null, `Register with ${room.jid}`),
    xml('field', { var: 'FORM_TYPE', type: 'hidden' }, xml('value', null, REGISTER_FORM)),
    xml('field', { var: 'muc#register_roomnick', type: 'text-single', label: 'Nickname' }, xml('required')),
  );
  return { result: [xml('query', { xmlns: MUC.register }, xml('instructions', null, 'Choose the nickname reserved for you in this room.'), form)] };
}

/** §7.10: submitting the form reserves the nickname and makes the user a member. */
export async function registerSet(ctx: Ctx, room: Room, from: string, query: Element): Promise<IqAnswer> {
  const bare = from.slice(0, from.indexOf('/'));
  const aff = effectiveAffiliation(ctx, room, bare);
  if (aff === 'outcast') return { error: 'forbidden', text: 'you are banned from this room' };
  // A members-only room admits by invitation or by an admin (§7.10: registration may need approval; here it is refused).
  if (room.config.membersOnly && affRank(aff) < affRank('member')) return { error: 'not-allowed', text: 'members-only rooms are joined by invitation' };
  const form = query.getChild('x', MUC.data);
  if (form?.attr('type') === 'cancel') return { result: [] };
  const nick = form?.getChildren('field').find((f) => f.attr('var') === 'muc#register_roomnick')?.getChildText('value')?.trim();
  if (form?.attr('type') !== 'submit' || !nick) return { error: 'bad-request', text: 'submit the form with muc#register_roomnick' };
  const occupant = room.occupants.get(nick);
  if (nickTakenByOther(room, nick, bare) || (occupant && occupant.bare !== bare)) return { error: 'conflict', text: 'that nickname is taken' };
  const affiliation = room.affiliations.get(bare)?.affiliation ?? 'member'; // admins and owners keep theirs
  ctx.own.owned();
  await ctx.env.store.muc.setAffiliation(room.jid, { jid: bare, affiliation, nick });
  room.affiliations.set(bare, { affiliation, nick, reason: room.affiliations.get(bare)?.reason ?? null });
  return { result: [] };
}

/** §7.12: disco#info on node x-roomuser-item names the asker's reserved nickname. */
export function reservedNick(room: Room, from: string): IqAnswer {
  const nick = room.affiliations.get(from.slice(0, from.indexOf('/')))?.nick;
  return { result: [xml('query', { xmlns: NS.discoInfo, node: 'x-roomuser-item' }, nick ? xml('identity', { category: 'conference', type: 'text', name: nick }) : null)] };
}
