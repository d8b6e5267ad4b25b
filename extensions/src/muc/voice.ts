// Voice requests in moderated rooms (XEP-0045 §7.13 request, §8.6 approval): a visitor asks, the
// moderators get a form, and a moderator's approval gives the visitor the participant role.
import { NS } from '@parley/stanza';
import { type Element, xml } from '@parley/xml';
import { MUC } from './ns.ts';
import { type Outcome, persistSession } from './occupants.ts';
import type { Ctx } from './options.ts';
import { broadcastPresence, broadcastsRole } from './presence.ts';
import { occupantOf, type Room } from './state.ts';

const fieldValue = (form: Element, name: string) => form.getChildren('field').find((f) => f.attr('var') === name)?.getChildText('value');

export function isRequestForm(form: Element | undefined): form is Element {
  return form !== undefined && form.attr('type') === 'submit' && fieldValue(form, 'FORM_TYPE') === MUC.request;
}

export async function onVoiceForm(ctx: Ctx, room: Room, stanza: Element, form: Element): Promise<Outcome> {
  const from = stanza.attr('from')!;
  const occ = occupantOf(room, from);
  if (!occ) return { error: 'not-acceptable', text: 'you are not in this room' };
  const allow = fieldValue(form, 'muc#request_allow');
  if (allow === undefined) {
    // §7.13: a visitor's request goes to every moderator as a form to approve.
    if (occ.role !== 'visitor') return { error: 'bad-request', text: 'only visitors ask for voice' };
    const request = xml(
      'x',
      { xmlns: MUC.data, type: 'form' },
      xml('title', null, 'Voice request'),
      xml('field', { var: 'FORM_TYPE', type: 'hidden' }, xml('value', null, MUC.request)),
      xml('field', { var: 'muc#role', type: 'list-single', label: 'Requested role' }, xml('value', null, 'participant')),
      xml('field', { var: 'muc#roomnick', type: 'text-single', label: 'Nickname' }, xml('value', null, occ.nick)),
      xml('field', { var: 'muc#request_allow', type: 'boolean', label: 'Grant voice?' }, xml('value', null, 'false')),
    );
    const msg = xml('message', { xmlns: NS.client, from: room.jid }, request).toString();
    const moderators = [...room.occupants.values()].filter((o) => o.role === 'moderator').flatMap((o) => [...o.sessions.values()]);
    ctx.env.publish(moderators, msg, true);
    return null;
  }
  // §8.6: a moderator's answer.
  if (occ.role !== 'moderator') return { error: 'forbidden', text: 'only moderators approve voice requests' };
  if (allow !== '1' && allow !== 'true') return null;
  const target = room.occupants.get(fieldValue(form, 'muc#roomnick') ?? '');
  if (!target) return { error: 'item-not-found', text: 'no such occupant' };
  if (target.role !== 'visitor') return null;
  const wasShown = broadcastsRole(room, target.role);
  target.role = 'participant';
  for (const s of target.sessions.values()) await persistSession(ctx, room, target, s);
  await broadcastPresence(ctx, room, target, { actorNick: occ.nick, wasShown });
  return null;
}
