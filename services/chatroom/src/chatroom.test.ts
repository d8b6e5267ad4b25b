// The chatroom service with the muc module on the in-process actor world: fan-out per edge, room
// policy (who creates, how many rooms, rate limits, moderation), bad input answered with the right
// stanza error, sessions that end leaving their rooms, and a room rebuilt from the store.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { muc } from '@parley/extensions';
import { Registry } from 'prom-client';
import { actorWorldPerFile, DOMAIN, errorCondition, ROOM_SERVICE, type Resource, type Scene } from '../../../tests/harness/actors.ts';

let clock = 1_000_000;
const registry = new Registry();
const world = actorWorldPerFile([
  muc({ service: ROOM_SERVICE, creators: 'local', admins: [`root@${DOMAIN}`], maxRoomsPerUser: 2, historySize: 5, maxOccupants: 50, occupantRate: 8, roomRate: 1000, now: () => clock, archive: { defaultPage: 10, maxPage: 50 }, registry }),
]);

/** One sample of a metric (label values as given; histogram: `suffix` `_count`/`_sum`). */
async function sample(name: string, labels: Record<string, string> = {}, suffix = ''): Promise<number> {
  const m = registry.getSingleMetric(name);
  assert.ok(m, `${name} is registered`);
  const { values } = await m.get();
  const v = values.find((x) => (x as { metricName?: string }).metricName === `${name}${suffix}` || (suffix === '' && !(x as { metricName?: string }).metricName) ? Object.entries(labels).every(([k, l]) => x.labels[k] === l) : false);
  return v?.value ?? 0;
}

const MUC = 'http://jabber.org/protocol/muc';
const USER = 'http://jabber.org/protocol/muc#user';
let roomCount = 0;
const newRoom = () => `room${++roomCount}@${ROOM_SERVICE}`;
const FORM = (fields: Record<string, string>) =>
  `<query xmlns="http://jabber.org/protocol/muc#owner"><x xmlns="jabber:x:data" type="submit">${Object.entries(fields)
    .map(([k, v]) => `<field var="muc#roomconfig_${k}"><value>${v}</value></field>`)
    .join('')}</x></query>`;

async function enter(s: Scene, room: string, who: Resource, nick: string): Promise<void> {
  await s.stanza('chatroom', room, `<presence xmlns="jabber:client" to="${room}/${nick}"><x xmlns="${MUC}"/></presence>`, who);
}

/** A configured (unlocked) room owned by `owner`, entered as `nick`. */
async function opened(s: Scene, owner: Resource, nick: string, fields: Record<string, string> = {}): Promise<string> {
  const room = newRoom();
  await enter(s, room, owner, nick);
  await s.stanza('chatroom', room, `<iq xmlns="jabber:client" type="set" id="cfg" to="${room}">${FORM(fields)}</iq>`, owner);
  s.forget();
  return room;
}

const lastError = (s: Scene, r: Resource) => {
  const got = s.received(r);
  return errorCondition(got[got.length - 1]!);
};

describe('room fan-out', () => {
  test('a groupchat message is one bus message per edge holding occupants, and nothing for an edge without any', async () => {
    const s = world.scene();
    const [a, b, c, d] = await Promise.all(['ann', 'ben', 'cat', 'dan'].map((n) => s.account(n)));
    const [e1, e2, e3] = [s.edge('e1'), s.edge('e2'), s.edge('e3')];
    const ann = await s.online(a!, 'r', e1);
    const ben = await s.online(b!, 'r', e1);
    const cat = await s.online(c!, 'r', e2);
    await s.online(d!, 'r', e3); // online, not in the room
    const room = await opened(s, ann, 'ann');
    await enter(s, room, ben, 'ben');
    await enter(s, room, cat, 'cat');
    s.forget();
    await s.stanza('chatroom', room, `<message xmlns="jabber:client" type="groupchat" to="${room}"><body>hi</body></message>`, cat);
    assert.equal(e1.deliveries().length, 1);
    assert.deepEqual(e1.deliveries()[0]!.targets.map((t) => t.conn).sort(), [ann.conn, ben.conn].sort());
    assert.equal(e2.deliveries().length, 1);
    assert.equal(e3.deliveries().length, 0);
    for (const r of [ann, ben, cat]) assert.equal(s.received(r)[0]?.attr('from'), `${room}/cat`);
    assert.equal(s.received(ann)[0]?.attr('to'), ann.jid);
  });

  test('a joiner gets the presence of everyone inside in one bus message to its edge, and the others get its presence once per edge and variant', async () => {
    const s = world.scene();
    const names = ['amy', 'bo', 'cy', 'di', 'ed'];
    const accounts = await Promise.all(names.map((n) => s.account(n)));
    const [e1, e2, e3] = [s.edge('e1'), s.edge('e2'), s.edge('e3')];
    const inside = await Promise.all(accounts.slice(0, 4).map((a, i) => s.online(a!, 'r', i % 2 ? e2 : e1)));
    const room = await opened(s, inside[0]!, names[0]!);
    for (let i = 1; i < 4; i++) await enter(s, room, inside[i]!, names[i]!);
    const eve = await s.online(accounts[4]!, 'r', e3);
    s.forget();
    await enter(s, room, eve, 'ed');
    // §7.2.3: the four occupants' presence first, then its own (110), then the subject (§7.2.16).
    const got = s.received(eve);
    assert.deepEqual(got.slice(0, 5).map((p) => p.attr('from')), [...names.slice(0, 4), 'ed'].map((n) => `${room}/${n}`));
    assert.ok(got.slice(0, 4).every((p) => p.attr('to') === eve.jid && !p.getChild('x', USER)?.getChildren('status').length));
    assert.equal(e3.deliveries().filter((d) => d.xml.startsWith('<presence')).length, 2, 'the roster in one message, its self-presence in another');
    // Once per edge and variant: on e1 the owner (a moderator, §7.2.4) sees the real JID, cy does not.
    assert.deepEqual(e1.deliveries().map((d) => d.targets.map((t) => t.conn)), [[inside[0]!.conn], [inside[2]!.conn]]);
    assert.deepEqual(e2.deliveries().map((d) => d.targets.map((t) => t.conn).sort()), [[inside[1]!.conn, inside[3]!.conn].sort()]);
  });
});

describe('policy and limits', () => {
  test('a user owns at most maxRoomsPerUser rooms', async () => {
    const s = world.scene();
    const owner = await s.online(await s.account('own'), 'r', s.edge('e'));
    await opened(s, owner, 'o');
    await opened(s, owner, 'o');
    await enter(s, newRoom(), owner, 'o');
    assert.equal(lastError(s, owner), 'not-allowed');
  });

  test('an occupant sending too fast gets policy-violation; the bucket refills with time', async () => {
    const s = world.scene();
    const owner = await s.online(await s.account('fast'), 'r', s.edge('e'));
    const room = await opened(s, owner, 'f');
    const send = (id: string) => s.stanza('chatroom', room, `<message xmlns="jabber:client" id="${id}" type="groupchat" to="${room}"><body>x</body></message>`, owner);
    await send('1');
    await send('2');
    s.forget();
    await send('3'); // burst of 8/4 = 2 used up
    assert.equal(lastError(s, owner), 'policy-violation');
    clock += 60_000;
    s.forget();
    await send('4');
    assert.equal(errorCondition(s.received(owner)[0]!), undefined);
  });

  test('in a moderated room a visitor may not speak until given voice', async () => {
    const s = world.scene();
    const e = s.edge('e');
    const mod = await s.online(await s.account('mod'), 'r', e);
    const vis = await s.online(await s.account('vis'), 'r', e);
    const room = await opened(s, mod, 'mod', { moderatedroom: '1' });
    await enter(s, room, vis, 'vis');
    const self = s.received(vis).find((p) => p.attr('from') === `${room}/vis`);
    assert.equal(self?.getChild('x', USER)?.getChild('item')?.attr('role'), 'visitor');
    s.forget();
    await s.stanza('chatroom', room, `<message xmlns="jabber:client" type="groupchat" to="${room}"><body>may I?</body></message>`, vis);
    assert.equal(lastError(s, vis), 'forbidden');
    // §7.13: the visitor asks; the moderator gets the form and approves it (§8.6).
    s.forget();
    const FT = (v: string) => `<field var="FORM_TYPE"><value>${v}</value></field>`;
    await s.stanza('chatroom', room, `<message xmlns="jabber:client" to="${room}"><x xmlns="jabber:x:data" type="submit">${FT('http://jabber.org/protocol/muc#request')}<field var="muc#role"><value>participant</value></field></x></message>`, vis);
    const asked = s.received(mod).find((m) => m.getChild('x', 'jabber:x:data'));
    assert.ok(asked, 'the moderator got the voice request');
    assert.equal(asked.getChild('x', 'jabber:x:data')!.getChildren('field').find((f) => f.attr('var') === 'muc#roomnick')?.getChildText('value'), 'vis');
    await s.stanza('chatroom', room, `<message xmlns="jabber:client" to="${room}"><x xmlns="jabber:x:data" type="submit">${FT('http://jabber.org/protocol/muc#request')}<field var="muc#roomnick"><value>vis</value></field><field var="muc#request_allow"><value>true</value></field></x></message>`, mod);
    s.forget();
    await s.stanza('chatroom', room, `<message xmlns="jabber:client" type="groupchat" to="${room}"><body>thanks</body></message>`, vis);
    assert.equal(s.received(mod)[0]?.getChildText('body'), 'thanks');
  });

  test('a kick removes every resource and nickname of the user, and holds for a while', async () => {
    const s = world.scene();
    const e = s.edge('e');
    const owner = await s.online(await s.account('kown'), 'r', e);
    const kBare = await s.account('kid');
    const [k1, k2] = [await s.online(kBare, 'one', e), await s.online(kBare, 'two', e)];
    const room = await opened(s, owner, 'owner');
    await enter(s, room, k1, 'kid');
    await enter(s, room, k2, 'kiddo'); // the same user under a second nickname
    s.forget();
    await s.stanza('chatroom', room, `<iq xmlns="jabber:client" type="set" id="k" to="${room}"><query xmlns="http://jabber.org/protocol/muc#admin"><item nick="kid" role="none"/></query></iq>`, owner);
    const gone = s.received(owner).filter((p) => p.attr('type') === 'unavailable').map((p) => p.attr('from'));
    assert.deepEqual(gone.sort(), [`${room}/kid`, `${room}/kiddo`]);
    s.forget();
    await enter(s, room, k2, 'other');
    assert.equal(lastError(s, k2), 'forbidden');
    clock += 31_000;
    s.forget();
    await enter(s, room, k2, 'other');
    assert.equal(s.received(k2).some((p) => p.attr('from') === `${room}/other` && p.attr('type') === undefined), true);
  });

  test('the last owner cannot be removed; an admin cannot ban an owner', async () => {
    const s = world.scene();
    const e = s.edge('e');
    const o = await s.account('lo');
    const owner = await s.online(o, 'r', e);
    const room = await opened(s, owner, 'o');
    await s.stanza('chatroom', room, `<iq xmlns="jabber:client" type="set" id="x" to="${room}"><query xmlns="http://jabber.org/protocol/muc#admin"><item jid="${o}" affiliation="member"/></query></iq>`, owner);
    assert.equal(lastError(s, owner), 'conflict');
    const adm = await s.account('adm');
    const admin = await s.online(adm, 'r', e);
    await s.stanza('chatroom', room, `<iq xmlns="jabber:client" type="set" id="y" to="${room}"><query xmlns="http://jabber.org/protocol/muc#admin"><item jid="${adm}" affiliation="admin"/></query></iq>`, owner);
    await enter(s, room, admin, 'adm');
    s.forget();
    await s.stanza('chatroom', room, `<iq xmlns="jabber:client" type="set" id="z" to="${room}"><query xmlns="http://jabber.org/protocol/muc#admin"><item jid="${o}" affiliation="outcast"/></query></iq>`, admin);
    assert.equal(lastError(s, admin), 'not-allowed');
  });
});

describe('bad input gets the right stanza error', () => {
  test('unknown room, missing nickname, groupchat to an occupant, bad form, unknown IQ', async () => {
    const s = world.scene();
    const u = await s.online(await s.account('bad'), 'r', s.edge('e'));
    await s.stanza('chatroom', `nothing@${ROOM_SERVICE}`, `<message xmlns="jabber:client" type="groupchat" to="nothing@${ROOM_SERVICE}"><body>?</body></message>`, u);
    assert.equal(lastError(s, u), 'item-not-found');
    const room = await opened(s, u, 'me');
    await s.stanza('chatroom', room, `<presence xmlns="jabber:client" to="${room}"/>`, u);
    assert.equal(lastError(s, u), 'jid-malformed');
    await s.stanza('chatroom', room, `<message xmlns="jabber:client" type="groupchat" to="${room}/me"><body>?</body></message>`, u);
    assert.equal(lastError(s, u), 'bad-request');
    await s.stanza('chatroom', room, `<iq xmlns="jabber:client" type="set" id="f" to="${room}">${FORM({ whois: 'everybody' })}</iq>`, u);
    assert.equal(lastError(s, u), 'not-acceptable');
    await s.stanza('chatroom', room, `<iq xmlns="jabber:client" type="get" id="q" to="${room}"><query xmlns="jabber:iq:version"/></iq>`, u);
    assert.equal(lastError(s, u), 'service-unavailable');
    await s.stanza('chatroom', room, `<message xmlns="jabber:client" to="${room}"><body>not groupchat</body></message>`, u);
    assert.equal(lastError(s, u), 'bad-request');
  });
});

describe('occupants that go away', () => {
  test('a connection that ends leaves its rooms: the presence service tells the room, the others see unavailable', async () => {
    const s = world.scene();
    const e = s.edge('e');
    const a = await s.online(await s.account('stay'), 'r', e);
    const bBare = await s.account('go');
    const b = await s.online(bBare, 'r', e, { available: false });
    const room = await opened(s, a, 'stay');
    await enter(s, room, b, 'go');
    s.forget();
    await s.request('presence', { kind: 'resource-gone', key: bBare, jid: b.jid, conn: b.conn, edge: b.edge, available: false });
    const gone = s.received(a).find((p) => p.attr('from') === `${room}/go`);
    assert.equal(gone?.attr('type'), 'unavailable');
    // A stale notice (another connection of the same full JID) changes nothing.
    await enter(s, room, b, 'go');
    s.forget();
    await s.request('chatroom', { kind: 'resource-gone', key: room, jid: b.jid, conn: 'an-older-connection', edge: b.edge, available: false });
    assert.deepEqual(s.received(a), []);
  });
});

describe('reserved nicknames (XEP-0045 §7.10, §7.12)', () => {
  test('registering reserves a nickname and makes a member; nobody else may enter with it', async () => {
    const s = world.scene();
    const e = s.edge('e');
    const owner = await s.online(await s.account('rown'), 'r', e);
    const regBare = await s.account('reg');
    const reg = await s.online(regBare, 'r', e);
    const other = await s.online(await s.account('oth'), 'r', e);
    const room = await opened(s, owner, 'owner');
    const REG = 'jabber:iq:register';
    await s.stanza('chatroom', room, `<iq xmlns="jabber:client" type="get" id="g" to="${room}"><query xmlns="${REG}"/></iq>`, reg);
    const form = s.received(reg)[0]!.getChild('query', REG)!.getChild('x', 'jabber:x:data')!;
    assert.ok(form.getChildren('field').some((f) => f.attr('var') === 'muc#register_roomnick'));
    s.forget();
    const submit = (nick: string) =>
      `<query xmlns="${REG}"><x xmlns="jabber:x:data" type="submit"><field var="FORM_TYPE"><value>http://jabber.org/protocol/muc#register</value></field><field var="muc#register_roomnick"><value>${nick}</value></field></x></query>`;
    await s.stanza('chatroom', room, `<iq xmlns="jabber:client" type="set" id="s" to="${room}">${submit('Reggie')}</iq>`, reg);
    assert.equal(s.received(reg)[0]?.attr('type'), 'result');
    await s.stanza('chatroom', room, `<iq xmlns="jabber:client" type="set" id="s2" to="${room}">${submit('Reggie')}</iq>`, other);
    assert.equal(lastError(s, other), 'conflict');
    await enter(s, room, other, 'Reggie');
    assert.equal(lastError(s, other), 'conflict');
    // UTS #39 look-alikes of a reserved nickname are refused like the nickname itself (Cyrillic і, Latin ɡ).
    await enter(s, room, other, 'Regg\u0456e');
    assert.equal(lastError(s, other), 'conflict');
    await enter(s, room, other, 'Reg\u0261ie');
    assert.equal(lastError(s, other), 'conflict');
    s.forget();
    await s.stanza('chatroom', room, `<iq xmlns="jabber:client" type="get" id="n" to="${room}"><query xmlns="http://jabber.org/protocol/disco#info" node="x-roomuser-item"/></iq>`, reg);
    assert.equal(s.received(reg)[0]?.getChild('query')?.getChild('identity')?.attr('name'), 'Reggie');
    await enter(s, room, reg, 'Reggie');
    const self = s.received(reg).find((p) => p.attr('from') === `${room}/Reggie`);
    assert.equal(self?.getChild('x', USER)?.getChild('item')?.attr('affiliation'), 'member');
  });
});

describe('room archives (XEP-0313 §5.1.2)', () => {
  const MAM = 'urn:xmpp:mam:2';
  const SID = 'urn:xmpp:sid:0';
  let qn = 0;
  /** A MAM query to the room from `who`: the forwarded messages it got, then the IQ answer. */
  async function roomQuery(s: Scene, room: string, who: Resource, inner = '') {
    s.forget();
    await s.stanza('chatroom', room, `<iq xmlns="jabber:client" type="set" id="mq${++qn}" to="${room}"><query xmlns="${MAM}" queryid="q${qn}">${inner}</query></iq>`, who);
    const got = s.received(who);
    const results = got.filter((e) => e.is('message') && e.getChild('result', MAM));
    const forwarded = results.map((m) => m.getChild('result', MAM)!.getChild('forwarded', 'urn:xmpp:forward:0')!.getChild('message')!);
    const answer = got.find((e) => e.is('iq'));
    return { results, forwarded, bodies: forwarded.map((m) => m.getChildText('body')), fin: answer?.getChild('fin', MAM), error: answer ? errorCondition(answer) : 'no answer' };
  }
  // Each message a minute after the last: the occupant rate limit (8/min) stays out of the way.
  const say = (s: Scene, room: string, who: Resource, body: string, extra = '') => {
    clock += 60_000;
    return s.stanza('chatroom', room, `<message xmlns="jabber:client" type="groupchat" to="${room}"><body>${body}</body>${extra}</message>`, who);
  };

  test('a persistent room archives its groupchat with a stanza-id by the room; whispers and subjects are not archived', async () => {
    const s = world.scene();
    const e = s.edge('e');
    const owner = await s.online(await s.account('arown'), 'r', e);
    const ben = await s.online(await s.account('arben'), 'r', e);
    const room = await opened(s, owner, 'owner', { persistentroom: '1' });
    await enter(s, room, ben, 'ben');
    s.forget();
    await s.stanza('chatroom', room, `<iq xmlns="jabber:client" type="get" id="di" to="${room}"><query xmlns="http://jabber.org/protocol/disco#info"/></iq>`, ben);
    const features = s.received(ben)[0]!.getChild('query')!.getChildren('feature').map((f) => f.attr('var'));
    assert.ok(features.includes(MAM), 'the room advertises its archive');
    s.forget();
    await say(s, room, ben, 'hello room', `<origin-id xmlns="${SID}" id="o-1"/><stanza-id xmlns="${SID}" by="${room}" id="forged"/><x xmlns="${USER}"><item jid="boss@${DOMAIN}/x"/></x>`);
    const echo = s.received(ben)[0]!;
    const seen = s.received(owner)[0]!;
    const ids = seen.getChildren('stanza-id', SID);
    assert.equal(ids.length, 1, 'the forged stanza-id is gone');
    assert.equal(ids[0]!.attr('by'), room);
    assert.equal(echo.getChild('stanza-id', SID)?.attr('id'), ids[0]!.attr('id'), 'every occupant sees the same id');
    assert.equal(seen.getChild('origin-id', SID)?.attr('id'), 'o-1', 'origin-id kept');
    assert.equal(seen.getChild('x', USER), undefined, 'a client cannot put a real JID on its groupchat');
    await s.stanza('chatroom', room, `<message xmlns="jabber:client" type="chat" to="${room}/owner"><body>psst</body></message>`, ben);
    await s.stanza('chatroom', room, `<message xmlns="jabber:client" type="groupchat" to="${room}"><subject>news</subject></message>`, owner);
    await say(s, room, owner, 'second', '<no-store xmlns="urn:xmpp:hints"/>');
    await say(s, room, owner, 'third');
    const page = await roomQuery(s, room, ben);
    assert.deepEqual(page.bodies, ['hello room', 'third']);
    assert.equal(page.results[0]!.attr('from'), room, 'results come from the room');
    assert.equal(page.results[0]!.getChild('result', MAM)!.attr('id'), ids[0]!.attr('id'), 'the stanza-id is the archive id');
    assert.equal(page.forwarded[0]!.attr('from'), `${room}/ben`, 'the occupant nick is the sender');
    assert.equal(page.forwarded[0]!.getChild('x', USER), undefined, 'semi-anonymous: no real JID for a participant');
    const mod = await roomQuery(s, room, owner);
    assert.equal(mod.forwarded[0]!.getChild('x', USER)?.getChild('item')?.attr('jid'), ben.jid, 'the moderator sees the real JID');
    assert.equal(mod.fin?.attr('complete'), 'true');
  });

  test('paging and flipped pages are the account archive’s; bad queries get its errors', async () => {
    const s = world.scene();
    const e = s.edge('e');
    const owner = await s.online(await s.account('pgown'), 'r', e);
    const room = await opened(s, owner, 'o', { persistentroom: '1', whois: 'anyone' });
    for (const b of ['p1', 'p2', 'p3']) await say(s, room, owner, b);
    const RSM = (x: string) => `<set xmlns="http://jabber.org/protocol/rsm">${x}</set>`;
    const last = await roomQuery(s, room, owner, `${RSM('<max>2</max><before/>')}<flip-page/>`);
    assert.deepEqual(last.bodies, ['p3', 'p2']);
    assert.equal(last.fin?.attr('complete'), undefined);
    assert.equal((await roomQuery(s, room, owner, RSM('<after>nope</after>'))).error, 'item-not-found');
    assert.equal((await roomQuery(s, room, owner, '<x xmlns="jabber:x:data" type="submit"><field var="mood"><value>x</value></field></x>')).error, 'bad-request');
  });

  test('a kicked user may still read a public room’s archive during the rejoin cooldown (a kick is not a ban); a banned one may not', async () => {
    const s = world.scene();
    const e = s.edge('e');
    const owner = await s.online(await s.account('kaown'), 'r', e);
    const kidBare = await s.account('kakid');
    const kid = await s.online(kidBare, 'r', e);
    const room = await opened(s, owner, 'o', { persistentroom: '1' });
    await enter(s, room, kid, 'kid');
    await say(s, room, owner, 'before the kick');
    await s.stanza('chatroom', room, `<iq xmlns="jabber:client" type="set" id="k" to="${room}"><query xmlns="http://jabber.org/protocol/muc#admin"><item nick="kid" role="none"/></query></iq>`, owner);
    s.forget();
    await enter(s, room, kid, 'kid');
    assert.equal(lastError(s, kid), 'forbidden', 'the cooldown keeps the kicked user out of the room');
    // XEP-0045 §8.2 vs §9.1: a kick ends the visit, a ban the access; the archive follows the ban only (as in Prosody and ejabberd).
    assert.deepEqual((await roomQuery(s, room, kid)).bodies, ['before the kick']);
    await s.stanza('chatroom', room, `<iq xmlns="jabber:client" type="set" id="b" to="${room}"><query xmlns="http://jabber.org/protocol/muc#admin"><item jid="${kidBare}" affiliation="outcast"/></query></iq>`, owner);
    assert.equal((await roomQuery(s, room, kid)).error, 'forbidden');
  });

  test('who may read: not an outcast, only members of a members-only room; a temporary room keeps nothing', async () => {
    const s = world.scene();
    const e = s.edge('e');
    const ownBare = await s.account('acown');
    const owner = await s.online(ownBare, 'r', e);
    const memBare = await s.account('acmem');
    const member = await s.online(memBare, 'r', e);
    const stranger = await s.online(await s.account('acstr'), 'r', e);
    const room = await opened(s, owner, 'o', { persistentroom: '1', whois: 'anyone' });
    await say(s, room, owner, 'open words');
    const open = await roomQuery(s, room, stranger);
    assert.deepEqual(open.bodies, ['open words'], 'a public room: anyone who may join, without joining');
    assert.equal(open.forwarded[0]!.getChild('x', USER)?.getChild('item')?.attr('jid'), owner.jid, 'non-anonymous: real JIDs for all');
    await s.stanza('chatroom', room, `<iq xmlns="jabber:client" type="set" id="ban" to="${room}"><query xmlns="http://jabber.org/protocol/muc#admin"><item jid="${stranger.bare}" affiliation="outcast"/></query></iq>`, owner);
    assert.equal((await roomQuery(s, room, stranger)).error, 'forbidden');
    await s.stanza('chatroom', room, `<iq xmlns="jabber:client" type="set" id="mo" to="${room}">${FORM({ membersonly: '1' })}</iq>`, owner);
    await s.stanza('chatroom', room, `<iq xmlns="jabber:client" type="set" id="mem" to="${room}"><query xmlns="http://jabber.org/protocol/muc#admin"><item jid="${memBare}" affiliation="member"/></query></iq>`, owner);
    assert.deepEqual((await roomQuery(s, room, member)).bodies, ['open words']);
    const other = await s.online(await s.account('acoth'), 'r', e);
    assert.equal((await roomQuery(s, room, other)).error, 'forbidden');
    const temp = await opened(s, owner, 'o');
    await say(s, temp, owner, 'fleeting');
    assert.equal((await roomQuery(s, temp, owner)).error, 'service-unavailable');
    s.forget();
    await s.stanza('chatroom', temp, `<iq xmlns="jabber:client" type="get" id="cf" to="${temp}"><query xmlns="http://jabber.org/protocol/muc#owner"/></iq>`, owner);
    const field = s.received(owner)[0]!.getChild('query')!.getChild('x', 'jabber:x:data')!.getChildren('field').find((f) => f.attr('var') === 'muc#roomconfig_enablearchiving');
    assert.equal(field?.getChildText('value'), '0', 'off by default for a temporary room');
    await s.stanza('chatroom', temp, `<iq xmlns="jabber:client" type="set" id="on" to="${temp}">${FORM({ enablearchiving: '1' })}</iq>`, owner);
    await say(s, temp, owner, 'kept now');
    assert.deepEqual((await roomQuery(s, temp, owner)).bodies, ['kept now'], 'the owner turned it on');
  });

  test('destroying a room removes its archive: a new room of that name starts empty', async () => {
    const s = world.scene();
    const owner = await s.online(await s.account('dsown'), 'r', s.edge('e'));
    const room = await opened(s, owner, 'o', { persistentroom: '1' });
    await say(s, room, owner, 'before the end');
    assert.deepEqual((await roomQuery(s, room, owner)).bodies, ['before the end']);
    await s.stanza('chatroom', room, `<iq xmlns="jabber:client" type="set" id="d" to="${room}"><query xmlns="http://jabber.org/protocol/muc#owner"><destroy/></query></iq>`, owner);
    await enter(s, room, owner, 'o');
    await s.stanza('chatroom', room, `<iq xmlns="jabber:client" type="set" id="cfg2" to="${room}">${FORM({ persistentroom: '1' })}</iq>`, owner);
    assert.deepEqual((await roomQuery(s, room, owner)).bodies, []);
  });
});

describe('confusable nicknames (issue 8 §4, UTS #39)', () => {
  test('a nickname that looks like another occupant’s is a conflict; the same user may take its own look-alike', async () => {
    const s = world.scene();
    const e = s.edge('e');
    const aliceBare = await s.account('cfalice');
    const alice = await s.online(aliceBare, 'r', e);
    const mallory = await s.online(await s.account('cfmal'), 'r', e);
    const room = await opened(s, alice, 'Alice');
    for (const nick of ['\u0410lice', 'A1ice', 'Al\u0456ce']) {
      s.forget();
      await enter(s, room, mallory, nick);
      assert.equal(lastError(s, mallory), 'conflict', nick);
    }
    await enter(s, room, mallory, 'Mallory');
    s.forget();
    // A nickname change to a look-alike is refused the same way (§7.6.3).
    await enter(s, room, mallory, 'AIice');
    assert.equal(lastError(s, mallory), 'conflict');
    const alicePad = await s.online(aliceBare, 'pad', e);
    s.forget();
    await enter(s, room, alicePad, 'A1ice'); // her own second resource: no impostor
    assert.equal(s.received(alicePad).some((p) => p.attr('from') === `${room}/A1ice` && p.attr('type') === undefined), true);
  });
});

describe('metrics', () => {
  test('the chatroom metrics move: rooms, occupants, groupchat and its fan-out, refusals by reason, archive writes and queries', async () => {
    const s = world.scene();
    const [e1, e2] = [s.edge('m1'), s.edge('m2')];
    const before = {
      rooms: await sample('parley_muc_rooms_active'),
      occupants: await sample('parley_muc_occupants'),
      groupchat: await sample('parley_muc_groupchat_messages_total'),
      fanCount: await sample('parley_muc_groupchat_bus_messages', {}, '_count'),
      fanSum: await sample('parley_muc_groupchat_bus_messages', {}, '_sum'),
      writes: await sample('parley_muc_archive_writes_total'),
      queries: await sample('parley_muc_archive_queries_total'),
    };
    const refused = async (reason: string) => sample('parley_muc_refused_total', { reason });
    const refusedBefore = Object.fromEntries(await Promise.all(['rate-limit', 'nickname-conflict', 'lookalike', 'members-only', 'banned', 'kicked'].map(async (r) => [r, await refused(r)] as const)));
    const owner = await s.online(await s.account('mown'), 'r', e1);
    const guest = await s.online(await s.account('mguest'), 'r', e2);
    const room = await opened(s, owner, 'Owner', { persistentroom: '1' });
    await enter(s, room, guest, 'guest');
    assert.equal(await sample('parley_muc_rooms_active'), before.rooms + 1);
    assert.equal(await sample('parley_muc_occupants'), before.occupants + 2);
    clock += 60_000;
    await s.stanza('chatroom', room, `<message xmlns="jabber:client" type="groupchat" to="${room}"><body>counted</body></message>`, owner);
    assert.equal(await sample('parley_muc_groupchat_messages_total'), before.groupchat + 1);
    assert.equal(await sample('parley_muc_groupchat_bus_messages', {}, '_count'), before.fanCount + 1);
    assert.equal(await sample('parley_muc_groupchat_bus_messages', {}, '_sum'), before.fanSum + 2, 'two edges hold occupants: two bus messages');
    assert.equal(await sample('parley_muc_archive_writes_total'), before.writes + 1);
    await s.stanza('chatroom', room, `<iq xmlns="jabber:client" type="set" id="mq" to="${room}"><query xmlns="urn:xmpp:mam:2" queryid="mq"/></iq>`, guest);
    assert.equal(await sample('parley_muc_archive_queries_total'), before.queries + 1);
    // Refusals, one per reason.
    const other = await s.online(await s.account('mother'), 'r', e2);
    await enter(s, room, other, 'guest');
    await enter(s, room, other, 'gu\u0435st'); // a Cyrillic е
    for (let i = 0; i < 3; i++) await s.stanza('chatroom', room, `<message xmlns="jabber:client" type="groupchat" to="${room}"><body>fast ${i}</body></message>`, guest);
    const ADMIN = 'http://jabber.org/protocol/muc#admin';
    await s.stanza('chatroom', room, `<iq xmlns="jabber:client" type="set" id="k" to="${room}"><query xmlns="${ADMIN}"><item nick="guest" role="none"/></query></iq>`, owner);
    await enter(s, room, guest, 'back');
    await s.stanza('chatroom', room, `<iq xmlns="jabber:client" type="set" id="b" to="${room}"><query xmlns="${ADMIN}"><item jid="${other.jid.slice(0, other.jid.indexOf('/'))}" affiliation="outcast"/></query></iq>`, owner);
    await enter(s, room, other, 'again');
    const closed = await opened(s, owner, 'Owner', { membersonly: '1' });
    await enter(s, closed, other, 'knock');
    for (const [reason, n] of Object.entries({ 'nickname-conflict': 1, lookalike: 1, 'rate-limit': 1, kicked: 1, banned: 1, 'members-only': 1 })) {
      assert.equal(await refused(reason), refusedBefore[reason]! + n, reason);
    }
    // The kicked guest left: one room with one occupant fewer.
    assert.equal(await sample('parley_muc_occupants'), before.occupants + 2);
  });
});
