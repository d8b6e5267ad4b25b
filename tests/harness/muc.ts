// Multi-user chat (XEP-0045) steps for xmpp.js test clients.
import type { SlixClient } from './slix.ts';
import { type XmlElement, type XmppJsClient, xml } from './xmppjs.ts';

export const MUC = 'http://jabber.org/protocol/muc';
export const MUC_USER = 'http://jabber.org/protocol/muc#user';
export const MUC_ADMIN = 'http://jabber.org/protocol/muc#admin';
export const MUC_OWNER = 'http://jabber.org/protocol/muc#owner';

export const codesOf = (p: XmlElement): string[] => (p.getChild('x', MUC_USER)?.getChildren('status') ?? []).map((s) => s.attrs.code as string).sort();
export const itemOf = (p: XmlElement): XmlElement | undefined => p.getChild('x', MUC_USER)?.getChild('item');

/** Enter `room` as `nick`; resolves with the self-presence (status 110) or rejects with the presence error condition. */
export async function join(c: XmppJsClient, room: string, nick: string, opts: { password?: string; history?: Record<string, string> } = {}): Promise<XmlElement> {
  const x = xml('x', { xmlns: MUC }, opts.password ? xml('password', {}, opts.password) : null, opts.history ? xml('history', opts.history) : null);
  await c.send(xml('presence', { to: `${room}/${nick}` }, x));
  const p = await c.next(
    (e) => e.is('presence') && e.attrs.from === `${room}/${nick}` && (e.attrs.type === 'error' || codesOf(e).includes('110')),
    `${c.jid} entering ${room} as ${nick}`,
  );
  if (p.attrs.type === 'error') throw new Error(p.getChild('error')?.children.map((ch) => (typeof ch === 'string' ? '' : ch.name)).find((n) => n !== 'text') ?? 'error');
  return p;
}

/** The subject message that ends a join (§7.2.16). */
export function subject(c: XmppJsClient, room: string): Promise<XmlElement> {
  return c.next((e) => e.is('message') && (e.attrs.from ?? '').startsWith(room) && e.getChild('subject') !== undefined && !e.getChild('body'), `the subject of ${room}`);
}

/** Create a room as its owner and accept the default configuration with changes (an instant or reserved room, §10.1). */
export async function createRoom(c: XmppJsClient, room: string, nick: string, fields: Record<string, string> = {}): Promise<XmlElement> {
  const self = await join(c, room, nick);
  await subject(c, room);
  await configure(c, room, fields);
  return self;
}

export async function configure(c: XmppJsClient, room: string, fields: Record<string, string>): Promise<XmlElement> {
  const form = xml(
    'x',
    { xmlns: 'jabber:x:data', type: 'submit' },
    xml('field', { var: 'FORM_TYPE' }, xml('value', {}, 'http://jabber.org/protocol/muc#roomconfig')),
    ...Object.entries(fields).map(([k, v]) => xml('field', { var: `muc#roomconfig_${k}` }, xml('value', {}, v))),
  );
  return c.iq(xml('iq', { type: 'set', to: room }, xml('query', { xmlns: MUC_OWNER }, form)));
}

export function groupchat(c: XmppJsClient, room: string, body: string, id?: string): Promise<void> {
  return c.send(xml('message', { to: room, type: 'groupchat', id }, xml('body', {}, body)));
}

export function bodyFrom(c: XmppJsClient, from: string, body: string): Promise<XmlElement> {
  return c.next((e) => e.is('message') && e.attrs.from === from && e.getChildText('body') === body, `"${body}" from ${from}`);
}

/** The error condition of a rejected IQ (xmpp.js StanzaError). */
export async function iqError(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    return (err as { condition?: string }).condition ?? String(err);
  }
  throw new Error('the request succeeded');
}

export function setItems(c: XmppJsClient, room: string, ns: string, ...items: XmlElement[]): Promise<XmlElement> {
  return c.iq(xml('iq', { type: 'set', to: room }, xml('query', { xmlns: ns }, ...items)));
}

/** slixmpp's xep_0045 through tests/clients/slix_ext_muc.py. */
export interface SlixJoin {
  joined: boolean;
  condition?: string;
  codes?: string[];
  occupants?: string[];
  history?: string[];
  subject?: string | null;
}

export interface SlixMucPresence {
  from: string;
  type: string;
  codes: string[];
  jid: string | null;
  role: string | null;
  affiliation: string | null;
  nick: string | null;
}

export class SlixMuc {
  constructor(readonly c: SlixClient) {}
  async join(room: string, nick: string, opts: { password?: string; maxstanzas?: number } = {}): Promise<SlixJoin> {
    const { event: _e, id: _i, ...r } = await this.c.command({ cmd: 'muc_join', room, nick, ...opts }, 10_000);
    return r as unknown as SlixJoin;
  }
  configure(room: string, fields: Record<string, string | boolean> = {}) {
    return this.c.command({ cmd: 'muc_configure', room, fields });
  }
  leave(room: string, nick: string) {
    return this.c.command({ cmd: 'muc_leave', room, nick });
  }
  say(room: string, body: string) {
    return this.c.command({ cmd: 'muc_groupchat', room, body });
  }
  whisper(room: string, nick: string, body: string) {
    return this.c.command({ cmd: 'muc_whisper', room, nick, body });
  }
  invite(room: string, jid: string, reason = '') {
    return this.c.command({ cmd: 'muc_invite', room, jid, reason });
  }
  decline(room: string, jid: string, reason = '') {
    return this.c.command({ cmd: 'muc_decline', room, jid, reason });
  }
  setRole(room: string, nick: string, role: string, reason = '') {
    return this.c.command({ cmd: 'muc_set_role', room, nick, role, reason });
  }
  setAffiliation(room: string, jid: string, affiliation: string, reason = '') {
    return this.c.command({ cmd: 'muc_set_affiliation', room, jid, affiliation, reason });
  }
  async affiliations(room: string, affiliation: string): Promise<string[]> {
    return (await this.c.command({ cmd: 'muc_affiliations', room, affiliation })).jids as string[];
  }
  async rooms(service: string): Promise<Array<{ jid: string; name: string }>> {
    return (await this.c.command({ cmd: 'muc_rooms', service })).rooms as Array<{ jid: string; name: string }>;
  }
  async realJid(room: string, nick: string): Promise<string | null> {
    return (await this.c.command({ cmd: 'muc_real_jid', room, nick })).jid as string | null;
  }
  presence(pred: (p: SlixMucPresence) => boolean, what: string): Promise<SlixMucPresence> {
    return this.c.inbox.next((e) => e.event === 'muc_presence' && pred(e as unknown as SlixMucPresence), what) as unknown as Promise<SlixMucPresence>;
  }
  event(kind: 'muc_invite' | 'muc_decline', what: string): Promise<{ room: string; from: string | null; reason: string | null }> {
    return this.c.inbox.next((e) => e.event === kind, what) as unknown as Promise<{ room: string; from: string | null; reason: string | null }>;
  }
}
