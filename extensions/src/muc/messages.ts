// Messages in a room: groupchat to everyone (XEP-0045 §7.4), the subject (§8.1), private messages
// to one occupant (§7.5), and mediated invitations and declines (§7.8.2).
import { tryParseJid } from '@parley/jid';
import { NS } from '@parley/stanza';
import type { Rule } from '@parley/ratelimit';
import type { Origin } from '@parley/wire';
import { type Element, xml } from '@parley/xml';
import { filterMessage } from '../content-filter/index.ts';
import { archiveGroupchat, cleanGroupchat } from './archive.ts';
import { MUC } from './ns.ts';
import { effectiveAffiliation, type Outcome, refuse } from './occupants.ts';
import type { Ctx } from './options.ts';
import { affRank, allSessions, occupantId, occupantOf, type Room } from './state.ts';

/** What the room repeats of a client's message: no `to`, the room address as `from`, our occupant id (XEP-0421 §4). */
function reflected(room: Room, stanza: Element, nick: string, bare: string): Element {
  const m = stanza.clone();
  m.setAttr('to', undefined);
  m.setAttr('from', `${room.jid}/${nick}`);
  for (const c of m.getChildren('occupant-id', MUC.occupantId)) m.remove(c);
  m.append(xml('occupant-id', { xmlns: MUC.occupantId, id: occupantId(room, bare) }));
  return m;
}

/** A limit of `perMinute` messages with bursts of a quarter of it (libs/ratelimit token bucket). */
const perMinute = (n: number): Rule => ({ perSec: n / 60, burst: Math.max(1, Math.ceil(n / 4)) });

/** Rate limits per occupant (policy-violation) and per room (resource-constraint, wait). */
function admitRate(ctx: Ctx, room: Room, bare: string): Outcome {
  if (!room.rates.takeNow(`occupant\u0000${bare}`, perMinute(ctx.opts.occupantRate)).ok) return refuse(ctx, 'rate-limit', { error: 'policy-violation', text: 'you are sending messages too fast' });
  if (!room.rates.takeNow('room', perMinute(ctx.opts.roomRate)).ok) return refuse(ctx, 'rate-limit', { error: 'resource-constraint', text: 'the room is too busy, try again' });
  return null;
}

/**
 * The content filter (docs/security.md) before the room keeps or repeats anything: the same cleaning
 * as messages to accounts get (XEP-0071 safe subset, Unicode tricks, masked words), and an over-long
 * body refused (RFC 6120 §8.3.3.12), so history, the archive and every occupant see the clean copy.
 */
function filterContent(ctx: Ctx, stanza: Element): { stanza: Element } | NonNullable<Outcome> {
  if (!ctx.filter) return { stanza };
  const r = filterMessage(stanza, ctx.filter);
  if (r.kind === 'too-long') return { error: 'policy-violation', text: `the message body is longer than ${ctx.filter.maxBodyChars} characters` };
  return { stanza: r.kind === 'cleaned' ? r.stanza : stanza };
}

export async function onGroupchat(ctx: Ctx, room: Room, stanza: Element, handoff: string | undefined): Promise<Outcome> {
  const from = stanza.attr('from')!;
  const occ = occupantOf(room, from);
  // §7.4 / XEP-0410 §3.1: a non-occupant is told it is not in the room.
  if (!occ) return { error: 'not-acceptable', text: 'you are not in this room' };
  const filtered = filterContent(ctx, stanza);
  if (!('stanza' in filtered)) return filtered;
  stanza = filtered.stanza;
  const subject = stanza.getChild('subject');
  const body = stanza.getChild('body');
  if (subject && !body) {
    // §8.1: moderators may change the subject; participants when the room allows.
    if (!(occ.role === 'moderator' || (room.config.changeSubject && occ.role === 'participant'))) return { error: 'forbidden', text: 'you may not change the subject' };
    ctx.own.owned();
    room.subject = subject.text();
    room.subjectBy = occ.nick;
    await ctx.env.store.muc.setSubject(room.jid, room.subject, room.subjectBy);
  } else if (occ.role === 'visitor') {
    return { error: 'forbidden', text: 'visitors may not speak in this moderated room' }; // §7.4
  }
  const limited = admitRate(ctx, room, occ.bare);
  if (limited) return limited;
  const out = await archiveGroupchat(ctx, room, reflected(room, cleanGroupchat(room, stanza), occ.nick, occ.bare), occ.nick, from, handoff);
  const serialized = out.toString();
  if (body && ctx.opts.historySize > 0) {
    ctx.own.owned();
    await ctx.env.store.muc.addHistory(room.jid, { at: new Date(ctx.now()), nick: occ.nick, stanza: serialized }, ctx.opts.historySize);
  }
  // One bus message per edge holding occupants (ARCHITECTURE.md, path of a stanza §4), to those
  // whose privacy lists and blocklist let the sender's room address through (the sender always gets its echo).
  const targets = [];
  for (const { session } of allSessions(room)) targets.push(session);
  const own = targets.filter((t) => occ.sessions.has(t.jid));
  const others = await ctx.env.allowed(`${room.jid}/${occ.nick}`, 'message', targets.filter((t) => !occ.sessions.has(t.jid)));
  const recipients = [...own, ...others];
  ctx.env.publish(recipients, serialized, true);
  ctx.metrics?.groupchat.inc();
  ctx.metrics?.fanout.observe(new Set(recipients.map((r) => r.edge)).size);
  return null;
}

/** §7.5: a private message to one occupant, from the sender's room address, never its real JID. */
export function onPrivate(ctx: Ctx, room: Room, stanza: Element, nick: string): Outcome {
  const from = stanza.attr('from')!;
  const occ = occupantOf(room, from);
  if (!occ) return { error: 'not-acceptable', text: 'you are not in this room' };
  if (stanza.attr('type') === 'groupchat') return { error: 'bad-request', text: 'groupchat goes to the room, not to an occupant' };
  const target = room.occupants.get(nick);
  if (!target) return { error: 'item-not-found', text: 'no such occupant' };
  const pm = room.config.allowPm;
  const allowed = pm === 'anyone' || (pm === 'participants' && occ.role !== 'visitor') || (pm === 'moderators' && occ.role === 'moderator');
  if (!allowed) return { error: 'forbidden', text: 'private messages are not allowed in this room' };
  const limited = admitRate(ctx, room, occ.bare);
  if (limited) return limited;
  const out = reflected(room, stanza, occ.nick, occ.bare);
  // §7.5: marks the message as sent through a room (so clients do not take it for a direct chat).
  if (!out.getChild('x', MUC.user)) out.append(xml('x', { xmlns: MUC.user }));
  // Through the addressee's session actor, so its privacy lists and blocklist apply (XEP-0016, XEP-0191).
  for (const session of target.sessions.values()) {
    const one = out.clone();
    one.setAttr('to', session.jid);
    ctx.env.tell('session', { kind: 'stanza', key: target.bare, stanza: one });
  }
  return null;
}

/** A message of another account through its session actor (offline storage, privacy and blocking apply there). */
function toAccount(ctx: Ctx, to: string, stanza: Element): void {
  const bare = to.includes('/') ? to.slice(0, to.indexOf('/')) : to;
  if (!bare.endsWith(`@${ctx.env.domain}`)) return; // no federation yet
  ctx.env.tell('session', { kind: 'stanza', key: bare, stanza });
}

/** §7.8.2 invitations and declines, sent to the room in `<x xmlns='muc#user'>`. */
export async function onUserMessage(ctx: Ctx, room: Room, stanza: Element, origin: Origin | undefined): Promise<Outcome> {
  const x = stanza.getChild('x', MUC.user)!;
  const from = stanza.attr('from')!;
  const bare = from.slice(0, from.indexOf('/'));
  const invites = x.getChildren('invite');
  const decline = x.getChild('decline');
  if (invites.length) {
    const occ = occupantOf(room, from);
    const aff = effectiveAffiliation(ctx, room, bare);
    if (!occ && affRank(aff) < affRank('admin')) return { error: 'not-acceptable', text: 'join the room before inviting' };
    // §7.8.2: in a members-only room only admins and owners invite, unless occupants are allowed to.
    if (room.config.membersOnly && !room.config.allowInvites && affRank(aff) < affRank('admin')) return { error: 'forbidden', text: 'only admins may invite to this room' };
    for (const inv of invites) {
      const to = tryParseJid(inv.attr('to') ?? '');
      if (!to || to.local === null) return { error: 'jid-malformed', text: 'an invitation needs the address of a user' };
      inv.setAttr('to', to.toString());
    }
    for (const inv of invites) {
      const to = inv.attr('to')!;
      const inviteeBare = to.includes('/') ? to.slice(0, to.indexOf('/')) : to;
      // The invitation is the ticket (issue 8: ad hoc conversations): it makes the invitee a member.
      if (room.config.membersOnly && effectiveAffiliation(ctx, room, inviteeBare) === 'none') {
        ctx.own.owned();
        await ctx.env.store.muc.setAffiliation(room.jid, { jid: inviteeBare, affiliation: 'member' });
        room.affiliations.set(inviteeBare, { affiliation: 'member', nick: null, reason: null });
      }
      const reason = inv.getChildText('reason');
      const ux = xml('x', { xmlns: MUC.user }, xml('invite', { from: bare }, reason !== undefined ? xml('reason', null, reason) : null));
      if (room.config.password) ux.append(xml('password', null, room.config.password));
      const msg = xml(
        'message',
        { xmlns: NS.client, from: room.jid, to, id: stanza.attr('id') },
        ux,
        // XEP-0249 alongside, for clients that only understand direct invitations.
        xml('x', { xmlns: MUC.conference, jid: room.jid, reason, password: room.config.password ?? undefined }),
        xml('body', null, `${bare} invites you to the room ${room.jid}${reason ? `: ${reason}` : ''}`),
      );
      toAccount(ctx, to, msg);
    }
    return null;
  }
  if (decline) {
    const to = decline.attr('to');
    if (!to) return { error: 'bad-request', text: 'a decline needs a to address' };
    const reason = decline.getChildText('reason');
    // §7.8.2: the decline reaches the inviter from the room, naming who declined.
    const msg = xml(
      'message',
      { xmlns: NS.client, from: room.jid, to, id: stanza.attr('id') },
      xml('x', { xmlns: MUC.user }, xml('decline', { from: bare }, reason !== undefined ? xml('reason', null, reason) : null)),
    );
    toAccount(ctx, to, msg);
    return null;
  }
  void origin;
  return { error: 'bad-request', text: 'nothing this room understands' };
}
