// The room actor's behaviour (XEP-0045): every stanza for a room, an occupant address or the
// service itself goes through `handle`, one at a time per room, so one actor orders every change.
import type { ChatroomContext, ChatroomEnv, RoomBehaviour } from '@parley/ext';
import { NS, stanzaErrorReply } from '@parley/stanza';
import type { ActorRequest, Origin } from '@parley/wire';
import { type Element, xml } from '@parley/xml';
import { wordPattern } from '../content-filter/index.ts';
import { NS_MAM, queryForm } from '../mam/index.ts';
import { adminGet, adminSet, type IqAnswer } from './admin.ts';
import { archiving, queryRoomArchive } from './archive.ts';
import { roomInfo, roomItems, serviceInfo, serviceItems } from './disco.ts';
import { onGroupchat, onPrivate, onUserMessage } from './messages.ts';
import { MUC } from './ns.ts';
import { leave, onPresence, type Outcome } from './occupants.ts';
import type { Ctx, MucOptions } from './options.ts';
import type { MucMetrics } from './metrics.ts';
import { adminAction, ownerGet, ownerSet } from './owner.ts';
import { registerGet, registerSet, reservedNick } from './register.ts';
import { isRequestForm, onVoiceForm } from './voice.ts';
import { type ChatState, occupantOf, type Room } from './state.ts';
import { loadRoom } from './store.ts';

function nickOf(to: string | undefined): string | null {
  if (!to) return null;
  const slash = to.indexOf('/');
  return slash < 0 ? null : to.slice(slash + 1);
}

function answerIq(ctx: Ctx, stanza: Element, origin: Origin | undefined, a: IqAnswer): void {
  if ('error' in a) {
    ctx.env.fail(stanza, origin, a.error, a.text);
    return;
  }
  ctx.env.answer(origin, xml('iq', { xmlns: NS.client, type: 'result', id: stanza.attr('id'), from: stanza.attr('to'), to: stanza.attr('from') }, ...a.result));
}

function failWith(ctx: Ctx, stanza: Element, origin: Origin | undefined, o: Outcome): void {
  if (!o) return;
  const join = stanza.name === 'presence' ? stanza.getChild('x', MUC.base) : undefined;
  if (!join || !origin) {
    ctx.env.fail(stanza, origin, o.error, o.text);
    return;
  }
  // XEP-0045 §7.2.6-7.2.11: a refused entry repeats the client's <x xmlns='muc'/> before the error (RFC 6120 §8.3.1 allows it).
  const reply = stanzaErrorReply(stanza, o.error, { text: o.text });
  const error = reply.getChild('error')!;
  reply.remove(error);
  reply.append(join.clone(), error);
  ctx.env.answer(origin, reply);
}

async function roomIq(ctx: Ctx, room: Room, iq: Element, origin: Origin | undefined): Promise<void> {
  const type = iq.attr('type');
  if (type !== 'get' && type !== 'set') return; // results and errors end here
  const from = iq.attr('from')!;
  const payload = iq.getChildElements()[0];
  if (!payload) return ctx.env.fail(iq, origin, 'bad-request');
  const nick = nickOf(iq.attr('to'));
  const key = `${type} {${payload.getNS() ?? ''}}${payload.name}`;
  if (nick !== null) {
    // XEP-0410 §3: a self-ping is answered by the room: result while joined, not-acceptable otherwise.
    const sender = occupantOf(room, from);
    if (!sender) return ctx.env.fail(iq, origin, 'not-acceptable', 'you are not in this room');
    if (!room.occupants.has(nick)) return ctx.env.fail(iq, origin, 'item-not-found', 'no such occupant');
    if (key === `get {${NS.ping}}ping`) return answerIq(ctx, iq, origin, { result: [] });
    return ctx.env.fail(iq, origin, 'service-unavailable', 'IQs to occupants are not relayed'); // §7.7 leaves relaying optional
  }
  if (!room.exists) return ctx.env.fail(iq, origin, 'item-not-found', 'no such room');
  switch (key) {
    case `get {${NS.discoInfo}}query`:
      if (payload.attr('node') === 'x-roomuser-item') return answerIq(ctx, iq, origin, reservedNick(room, from));
      return answerIq(ctx, iq, origin, roomInfo(room, payload, archiving(ctx, room)));
    case `get {${MUC.register}}query`:
      return answerIq(ctx, iq, origin, registerGet(ctx, room, from));
    case `set {${MUC.register}}query`:
      return answerIq(ctx, iq, origin, await registerSet(ctx, room, from, payload));
    case `get {${NS.discoItems}}query`:
      return answerIq(ctx, iq, origin, roomItems(room, payload));
    case `get {${NS.ping}}ping`:
      return answerIq(ctx, iq, origin, { result: [] });
    case `get {${MUC.admin}}query`:
      return answerIq(ctx, iq, origin, adminGet(ctx, room, from, payload));
    case `set {${MUC.admin}}query`:
      return answerIq(ctx, iq, origin, await adminSet(ctx, room, from, payload));
    case `get {${MUC.owner}}query`:
      return answerIq(ctx, iq, origin, ownerGet(ctx, room, from, payload));
    case `set {${MUC.owner}}query`:
      return answerIq(ctx, iq, origin, await ownerSet(ctx, room, from, payload));
    // XEP-0313 §4.1.2 and §4: the room's archive, its search form and its pages.
    case `get {${NS_MAM}}query`:
      return answerIq(ctx, iq, origin, archiving(ctx, room) ? { result: [xml('query', { xmlns: NS_MAM }, queryForm())] } : { error: 'service-unavailable', text: 'this room keeps no archive' });
    case `set {${NS_MAM}}query`:
      return answerIq(ctx, iq, origin, await queryRoomArchive(ctx, room, from, payload, origin));
    default:
      return ctx.env.fail(iq, origin, 'service-unavailable'); // RFC 6120 §8.4
  }
}

async function roomMessage(ctx: Ctx, room: Room, m: Element, origin: Origin | undefined, handoff: string | undefined): Promise<void> {
  const type = m.attr('type');
  if (type === 'error') return; // never answer an error with an error (RFC 6120 §8.3.1)
  const nick = nickOf(m.attr('to'));
  if (!room.exists) return ctx.env.fail(m, origin, 'item-not-found', 'no such room');
  if (nick !== null) return failWith(ctx, m, origin, onPrivate(ctx, room, m, nick));
  if (type === 'groupchat') return failWith(ctx, m, origin, await onGroupchat(ctx, room, m, handoff));
  if (m.getChild('x', MUC.user)) return failWith(ctx, m, origin, await onUserMessage(ctx, room, m, origin));
  const form = m.getChild('x', MUC.data);
  if (isRequestForm(form)) return failWith(ctx, m, origin, await onVoiceForm(ctx, room, m, form));
  return ctx.env.fail(m, origin, 'bad-request', 'send groupchat messages to the room, or private messages to an occupant');
}

async function serviceStanza(ctx: Ctx, s: Element, origin: Origin | undefined): Promise<void> {
  if (s.name !== 'iq') {
    if (s.name === 'message' && s.attr('type') !== 'error') ctx.env.fail(s, origin, 'service-unavailable');
    return;
  }
  const type = s.attr('type');
  if (type !== 'get' && type !== 'set') return;
  const payload = s.getChildElements()[0];
  if (!payload) return ctx.env.fail(s, origin, 'bad-request');
  const key = `${type} {${payload.getNS() ?? ''}}${payload.name}`;
  if (key === `get {${NS.discoInfo}}query`) return answerIq(ctx, s, origin, serviceInfo(payload));
  if (key === `get {${NS.discoItems}}query`) return answerIq(ctx, s, origin, await serviceItems(ctx, payload));
  if (key === `get {${NS.ping}}ping`) return answerIq(ctx, s, origin, { result: [] });
  ctx.env.fail(s, origin, 'service-unavailable');
}

export function roomBehaviour(opts: MucOptions, metrics: MucMetrics | null = null): RoomBehaviour<ChatState> {
  const now = opts.now ?? Date.now;
  const filter = opts.contentFilter ? { maxBodyChars: opts.contentFilter.maxBodyChars, words: wordPattern(opts.contentFilter.words) } : null;
  const ctxOf = (env: ChatroomEnv, own: ChatroomContext): Ctx => ({ env, opts, own, now, filter, metrics });
  const noWrite: ChatroomContext = { owned: () => undefined };
  return {
    observe: metrics ? (states) => metrics.observe(states) : undefined,
    // Every occupant of a full room joining at once, with room to spare for their messages; the
    // senders wait ('queued') while the actor works through it (docs/decisions/0031).
    mailbox: opts.maxOccupants + 1000,
    async activate(env, key) {
      if (!key.includes('@')) return { kind: 'service' };
      return loadRoom(ctxOf(env, noWrite), key);
    },
    async handle(env, state, msg: ActorRequest, _key, own) {
      const ctx = ctxOf(env, own);
      if (state.kind === 'service') {
        if (msg.kind === 'stanza') await serviceStanza(ctx, msg.stanza, msg.origin);
        return;
      }
      const room = state;
      if (msg.kind === 'resource-gone') {
        await leave(ctx, room, msg.jid, msg.conn);
        return;
      }
      if (msg.kind === 'room-admin') return adminAction(ctx, room, msg.action);
      if (msg.kind !== 'stanza') return;
      const s = msg.stanza;
      if (s.name === 'presence') return failWith(ctx, s, msg.origin, await onPresence(ctx, room, s, msg.origin, nickOf(s.attr('to'))));
      if (s.name === 'message') return roomMessage(ctx, room, s, msg.origin, msg.id);
      if (s.name === 'iq') return roomIq(ctx, room, s, msg.origin);
    },
  };
}
