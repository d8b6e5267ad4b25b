// Chatrooms (XEP-0045) through xmpp.js against the embedded server: rooms, the directory, groupchat,
// whispers, anonymity, moderation, nicknames, invitations and members-only rooms (issue 8 item 5), and
// bounded room presence: muc#roomconfig_presencebroadcast (§10.2) and the overcrowding threshold.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join as joinPath } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createLogger } from '@parley/log';
import { callAdminSocket, startAdminSocket } from '../services/cli/src/admin-socket.ts';
import { acquireDataDirLock } from '../services/cli/src/lock.ts';
import { socketRoomOps } from '../services/cli/src/rooms.ts';
import { bodyFrom, codesOf, configure, createRoom, groupchat, iqError, itemOf, join, MUC_ADMIN, MUC_OWNER, MUC_USER, setItems, subject } from './harness/muc.ts';
import { parleyCli } from './harness/cli.ts';
import { loadContentCorpus, safetyProblems } from './harness/content-safety.ts';
import { RawClient, stanzaErrorCondition } from './harness/raw.ts';
import { startTestServer, type TestServer, uniqueName } from './harness/server.ts';
import { type XmlElement, XmppJsClient, xml } from './harness/xmppjs.ts';

const T = { timeout: 30_000 };
let ts: TestServer;
let service: string;
const clients: XmppJsClient[] = [];

before(async () => {
  // Rooms of more than 4 occupants are overcrowded here (PARLEY_MUC_MAX_USERS_PRESENCE, ejabberd's
  // max_users_presence): only the overcrowding test fills a room past it.
  ts = await startTestServer({ mucCreators: 'local', mucMaxUsersPresence: 4 });
  service = `conference.${ts.domain}`;
});
after(async () => {
  for (const c of clients) await c.stop();
  await ts.stop();
});

async function user(prefix: string): Promise<XmppJsClient> {
  const name = uniqueName(prefix);
  await ts.addUsers([name, `pw-${name}`]);
  const c = await XmppJsClient.connect({ service: `xmpp://127.0.0.1:${ts.ports.c2s}`, domain: ts.domain, username: name, password: `pw-${name}`, fingerprint: ts.server.fingerprint });
  clients.push(c);
  return c;
}

const bareOf = (jid: string) => jid.slice(0, jid.indexOf('/'));

describe('chatrooms with xmpp.js', () => {
  test('the server lists the chatroom service, and the service lists public rooms only', T, async () => {
    const owner = await user('dir');
    const items = await owner.iq(xml('iq', { type: 'get', to: ts.domain }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#items' })));
    assert.ok(items.getChild('query')!.getChildren('item').some((i) => i.attrs.jid === service));
    const info = await owner.iq(xml('iq', { type: 'get', to: service }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })));
    assert.equal(info.getChild('query')!.getChild('identity')?.attrs.category, 'conference');
    const pub = `pub-${uniqueName('r')}@${service}`;
    const hidden = `hid-${uniqueName('r')}@${service}`;
    await createRoom(owner, pub, 'o', { roomname: 'Public Tea', persistentroom: '1' });
    await createRoom(owner, hidden, 'o', { publicroom: '0', persistentroom: '1' });
    const dir = await owner.iq(xml('iq', { type: 'get', to: service }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#items' })));
    const listed = dir.getChild('query')!.getChildren('item').map((i) => [i.attrs.jid, i.attrs.name]);
    assert.ok(listed.some(([j, n]) => j === pub && n === 'Public Tea'), JSON.stringify(listed));
    assert.ok(!listed.some(([j]) => j === hidden));
    // XEP-0128: the room's information form, with its features.
    const roomInfo = await owner.iq(xml('iq', { type: 'get', to: pub }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })));
    const features = roomInfo.getChild('query')!.getChildren('feature').map((f) => f.attrs.var);
    for (const f of ['http://jabber.org/protocol/muc', 'muc_public', 'muc_persistent', 'muc_semianonymous', 'urn:xmpp:occupant-id:0']) assert.ok(features.includes(f), f);
    const form = roomInfo.getChild('query')!.getChild('x', 'jabber:x:data')!;
    const occupants = form.getChildren('field').find((f) => f.attrs.var === 'muc#roominfo_occupants');
    assert.equal(occupants?.getChildText('value'), '1');
  });

  test('create, join, groupchat reaches every occupant, leave is seen by the others', T, async () => {
    const [a, b, c] = [await user('ga'), await user('gb'), await user('gc')];
    const room = `chat-${uniqueName('r')}@${service}`;
    const self = await join(a, room, 'alice');
    assert.deepEqual(codesOf(self), ['110', '201'], 'a new room says 201 to its creator');
    assert.equal(itemOf(self)?.attrs.affiliation, 'owner');
    await subject(a, room);
    // §10.1.1: the room is locked until configured.
    await assert.rejects(join(b, room, 'bob'), /item-not-found/);
    await configure(a, room, {});
    await join(b, room, 'bob');
    await a.presence(`${room}/bob`, undefined, 'bob arriving');
    await join(c, room, 'carol');
    await groupchat(b, room, 'hello all', 'g1');
    for (const x of [a, b, c]) {
      const m = await bodyFrom(x, `${room}/bob`, 'hello all');
      assert.equal(m.attrs.type, 'groupchat');
      assert.ok(m.getChild('occupant-id', 'urn:xmpp:occupant-id:0')?.attrs.id);
    }
    await c.send(xml('presence', { to: `${room}/carol`, type: 'unavailable' }));
    const gone = await a.presence(`${room}/carol`, 'unavailable', 'carol leaving');
    assert.equal(itemOf(gone)?.attrs.role, 'none');
    const selfGone = await c.presence(`${room}/carol`, 'unavailable', 'carol own exit');
    assert.ok(codesOf(selfGone).includes('110'));
    // Not an occupant any more: messages are refused (XEP-0410 not-acceptable).
    await groupchat(c, room, 'still here?', 'late');
    const err = await c.next((e) => e.is('message') && e.attrs.type === 'error' && e.attrs.id === 'late', 'refusal');
    assert.ok(err.getChild('error')?.getChild('not-acceptable'));
  });

  test('a whisper reaches only its addressee, from the room address; the third occupant gets nothing', T, async () => {
    const [a, b, c] = [await user('wa'), await user('wb'), await user('wc')];
    const room = `whisper-${uniqueName('r')}@${service}`;
    await createRoom(a, room, 'alice');
    await join(b, room, 'bob');
    await join(c, room, 'carol');
    await a.send(xml('message', { to: `${room}/bob`, type: 'chat' }, xml('body', {}, 'psst bob')));
    const w = await bodyFrom(b, `${room}/alice`, 'psst bob');
    assert.ok(!w.toString().includes(bareOf(a.jid)), 'the real JID is not revealed');
    assert.ok(w.getChild('x', MUC_USER));
    // Flush through the room: carol gets alice's later groupchat, so the whisper (earlier, same actor) would have come first.
    // Flush both ways a stanza could reach carol: through the room, and through her session actor (the whisper's path).
    await groupchat(a, room, 'flush');
    await bodyFrom(c, `${room}/alice`, 'flush');
    await a.send(xml('message', { to: c.jid, type: 'chat' }, xml('body', {}, 'direct flush')));
    await c.next((e) => e.is('message') && e.getChildText('body') === 'direct flush', 'the direct flush');
    assert.deepEqual(c.inbox.take((e) => e.is('message') && e.getChildText('body') === 'psst bob'), []);
  });

  test('whispers, groupchat and presence from an occupant the addressee blocked (XEP-0191) are not delivered to it', T, async () => {
    const [a, b] = [await user('ba'), await user('bb')];
    const room = `block-${uniqueName('r')}@${service}`;
    await createRoom(a, room, 'alice');
    await join(b, room, 'bob');
    await b.iq(xml('iq', { type: 'set' }, xml('block', { xmlns: 'urn:xmpp:blocking' }, xml('item', { jid: `${room}/alice` }))));
    await a.send(xml('message', { to: `${room}/bob`, type: 'chat' }, xml('body', {}, 'blocked whisper')));
    await a.send(xml('message', { to: `${room}/bob`, type: 'chat' }, xml('body', {}, 'second whisper')));
    // Flush through bob's session actor, the way whispers go: the room handed them on before it
    // reflected alice's groupchat, and alice's direct message after that queues behind them.
    await groupchat(a, room, 'after the whispers');
    await bodyFrom(a, `${room}/alice`, 'after the whispers');
    await a.send(xml('message', { to: b.jid, type: 'chat' }, xml('body', {}, 'direct flush')));
    await b.next((e) => e.is('message') && e.getChildText('body') === 'direct flush', 'the direct flush');
    assert.deepEqual(b.inbox.take((e) => e.is('message') && ['blocked whisper', 'second whisper', 'after the whispers'].includes(e.getChildText('body') ?? '')), []);
    // Alice's presence in the room does not reach bob either (presence-in), flushed the same way.
    await a.send(xml('presence', { to: `${room}/alice` }, xml('status', {}, 'busy')));
    await a.next((e) => e.is('presence') && e.attrs.from === `${room}/alice` && e.getChildText('status') === 'busy', 'own presence update');
    await a.send(xml('message', { to: b.jid, type: 'chat' }, xml('body', {}, 'second flush')));
    await b.next((e) => e.is('message') && e.getChildText('body') === 'second flush', 'the second flush');
    assert.deepEqual(b.inbox.take((e) => e.is('presence') && e.getChildText('status') === 'busy'), []);
    // Unblocked, the room's messages reach bob again.
    await b.iq(xml('iq', { type: 'set' }, xml('unblock', { xmlns: 'urn:xmpp:blocking' }, xml('item', { jid: `${room}/alice` }))));
    await groupchat(a, room, 'unblocked now');
    await bodyFrom(b, `${room}/alice`, 'unblocked now');
  });

  test('real JIDs are shown to moderators only in a semi-anonymous room, and to everyone in a non-anonymous one', T, async () => {
    const [a, b, c] = [await user('ja'), await user('jb'), await user('jc')];
    const room = `anon-${uniqueName('r')}@${service}`;
    await createRoom(a, room, 'mod');
    await join(b, room, 'bob');
    const seenByMod = await a.presence(`${room}/bob`, undefined, 'bob seen by the moderator');
    assert.equal(itemOf(seenByMod)?.attrs.jid, b.jid);
    await join(c, room, 'carol');
    const seenByBob = await b.presence(`${room}/carol`, undefined, 'carol seen by bob');
    assert.equal(itemOf(seenByBob)?.attrs.jid, undefined);
    // Presence carol got of the moderator on entering: no real JID either.
    await configure(a, room, { whois: 'anyone' });
    const note = await b.next((e) => e.is('message') && e.attrs.from === room && codesOf(e).includes('104'), 'config change note');
    assert.ok(codesOf(note).includes('172'));
    const d = await user('jd');
    const self = await join(d, room, 'dave');
    assert.ok(codesOf(self).includes('100'), 'non-anonymous room says so on entry');
    const seen = await b.presence(`${room}/dave`, undefined, 'dave seen by bob');
    assert.equal(itemOf(seen)?.attrs.jid, d.jid);
  });

  test('nickname conflict, nickname change, and several resources under one nickname', T, async () => {
    const [a, b] = [await user('na'), await user('nb')];
    const room = `nick-${uniqueName('r')}@${service}`;
    await createRoom(a, room, 'alice');
    await assert.rejects(join(b, room, 'alice'), /conflict/);
    await join(b, room, 'bob');
    await b.send(xml('presence', { to: `${room}/robert` }));
    const change = await a.presence(`${room}/bob`, 'unavailable', 'bob changing nick');
    assert.ok(codesOf(change).includes('303'));
    assert.equal(itemOf(change)?.attrs.nick, 'robert');
    await a.presence(`${room}/robert`, undefined, 'robert arriving');
    // Alice's second resource joins under the same nickname.
    const name = a.jid.slice(0, a.jid.indexOf('@'));
    const a2 = await XmppJsClient.connect({ service: `xmpp://127.0.0.1:${ts.ports.c2s}`, domain: ts.domain, username: name, password: `pw-${name}`, resource: 'second', fingerprint: ts.server.fingerprint });
    clients.push(a2);
    await join(a2, room, 'alice');
    await groupchat(b, room, 'to both of alice');
    await bodyFrom(a, `${room}/robert`, 'to both of alice');
    await bodyFrom(a2, `${room}/robert`, 'to both of alice');
  });

  test('kick (307) and ban (301); a banned user cannot come back with another resource or nickname', T, async () => {
    const [a, b, c] = [await user('ka'), await user('kb'), await user('kc')];
    const room = `mod-${uniqueName('r')}@${service}`;
    await createRoom(a, room, 'boss');
    await join(b, room, 'bob');
    await join(c, room, 'carol');
    await setItems(a, room, MUC_ADMIN, xml('item', { nick: 'bob', role: 'none' }, xml('reason', {}, 'calm down')));
    const kicked = await b.presence(`${room}/bob`, 'unavailable', 'bob kicked');
    assert.deepEqual(codesOf(kicked), ['110', '307']);
    assert.equal(itemOf(kicked)?.getChildText('reason'), 'calm down');
    assert.deepEqual(codesOf(await c.presence(`${room}/bob`, 'unavailable', 'carol sees the kick')), ['307']);
    // Kicked: not back at once, under another nickname either.
    await assert.rejects(join(b, room, 'bobby'), /forbidden/);
    // A participant cannot kick.
    assert.equal(await iqError(setItems(c, room, MUC_ADMIN, xml('item', { nick: 'boss', role: 'none' }))), 'forbidden');
    await setItems(a, room, MUC_ADMIN, xml('item', { jid: bareOf(c.jid), affiliation: 'outcast' }));
    assert.deepEqual(codesOf(await c.presence(`${room}/carol`, 'unavailable', 'carol banned')), ['110', '301']);
    await assert.rejects(join(c, room, 'carol2'), /forbidden/);
    const name = c.jid.slice(0, c.jid.indexOf('@'));
    const c2 = await XmppJsClient.connect({ service: `xmpp://127.0.0.1:${ts.ports.c2s}`, domain: ts.domain, username: name, password: `pw-${name}`, resource: 'other', fingerprint: ts.server.fingerprint });
    clients.push(c2);
    await assert.rejects(join(c2, room, 'someone'), /forbidden/);
    const list = await a.iq(xml('iq', { type: 'get', to: room }, xml('query', { xmlns: MUC_ADMIN }, xml('item', { affiliation: 'outcast' }))));
    assert.deepEqual(list.getChild('query')!.getChildren('item').map((i) => i.attrs.jid), [bareOf(c.jid)]);
  });

  test('members-only: refused without invitation; a mediated invitation admits, a decline reaches the inviter', T, async () => {
    const [a, b, c] = [await user('ma'), await user('mb'), await user('mc')];
    const room = `adhoc-${uniqueName('r')}@${service}`;
    await createRoom(a, room, 'starter', { membersonly: '1', allowinvites: '1', publicroom: '0' });
    await assert.rejects(join(b, room, 'bob'), /registration-required/);
    // Invitations go to the invitees' available resources (RFC 6121 §8.5.2.1.1).
    for (const x of [b, c]) {
      await x.send(xml('presence'));
      await x.presence(x.jid, undefined, 'own available presence');
    }
    await a.send(xml('message', { to: room }, xml('x', { xmlns: MUC_USER }, xml('invite', { to: bareOf(b.jid) }, xml('reason', {}, 'join us')))));
    const inv = await b.next((e) => e.is('message') && e.attrs.from === room && e.getChild('x', MUC_USER)?.getChild('invite') !== undefined, 'the invitation');
    assert.equal(inv.getChild('x', MUC_USER)!.getChild('invite')!.attrs.from, bareOf(a.jid));
    assert.equal(inv.getChild('x', 'jabber:x:conference')?.attrs.jid, room);
    await join(b, room, 'bob');
    // A member may invite more since the room allows it; carol declines.
    await b.send(xml('message', { to: room }, xml('x', { xmlns: MUC_USER }, xml('invite', { to: bareOf(c.jid) }))));
    await c.next((e) => e.is('message') && e.attrs.from === room && e.getChild('x', MUC_USER)?.getChild('invite') !== undefined, 'carol invited');
    await c.send(xml('message', { to: room }, xml('x', { xmlns: MUC_USER }, xml('decline', { to: bareOf(b.jid) }, xml('reason', {}, 'busy')))));
    const dec = await b.next((e) => e.is('message') && e.attrs.from === room && e.getChild('x', MUC_USER)?.getChild('decline') !== undefined, 'the decline');
    assert.equal(dec.getChild('x', MUC_USER)!.getChild('decline')!.attrs.from, bareOf(c.jid));
    assert.equal(dec.getChild('x', MUC_USER)!.getChild('decline')!.getChildText('reason'), 'busy');
    // Everyone sees the same member list.
    const members = await a.iq(xml('iq', { type: 'get', to: room }, xml('query', { xmlns: MUC_ADMIN }, xml('item', { affiliation: 'member' }))));
    assert.deepEqual(members.getChild('query')!.getChildren('item').map((i) => i.attrs.jid).sort(), [bareOf(b.jid), bareOf(c.jid)].sort());
  });

  test('history on join honours maxstanzas; the subject comes last; self-ping answers while joined', T, async () => {
    const [a, b] = [await user('ha'), await user('hb')];
    const room = `hist-${uniqueName('r')}@${service}`;
    await createRoom(a, room, 'alice', { persistentroom: '1' });
    for (const n of [1, 2, 3]) await groupchat(a, room, `m${n}`);
    await bodyFrom(a, `${room}/alice`, 'm3');
    await a.send(xml('message', { to: room, type: 'groupchat' }, xml('subject', {}, 'Teatime')));
    await subject(a, room);
    await join(b, room, 'bob', { history: { maxstanzas: '2' } });
    const h1 = await bodyFrom(b, `${room}/alice`, 'm2');
    assert.ok(h1.getChild('delay', 'urn:xmpp:delay'));
    await bodyFrom(b, `${room}/alice`, 'm3');
    const s = await subject(b, room);
    assert.equal(s.getChildText('subject'), 'Teatime');
    assert.deepEqual(b.inbox.take((e) => e.is('message') && e.getChildText('body') === 'm1'), []);
    await b.ping(`${room}/bob`);
    const outsider = await user('hc');
    assert.equal(await iqError(outsider.iq(xml('iq', { type: 'get', to: `${room}/bob` }, xml('ping', { xmlns: 'urn:xmpp:ping' })))), 'not-acceptable');
  });

  test('a password-protected room refuses a wrong password; destroy tells occupants the alternate venue', T, async () => {
    const [a, b] = [await user('pa'), await user('pb')];
    const room = `pw-${uniqueName('r')}@${service}`;
    await createRoom(a, room, 'alice', { passwordprotectedroom: '1', roomsecret: 'sesame' });
    await assert.rejects(join(b, room, 'bob', { password: 'wrong' }), /not-authorized/);
    await join(b, room, 'bob', { password: 'sesame' });
    await a.iq(xml('iq', { type: 'set', to: room }, xml('query', { xmlns: 'http://jabber.org/protocol/muc#owner' }, xml('destroy', { jid: `elsewhere@${service}` }, xml('reason', {}, 'moving')))));
    const p = await b.presence(`${room}/bob`, 'unavailable', 'destroyed');
    const d = p.getChild('x', MUC_USER)!.getChild('destroy')!;
    assert.equal(d.attrs.jid, `elsewhere@${service}`);
    assert.equal(d.getChildText('reason'), 'moving');
  });

  test('groupchat passes the content filter before the room repeats, keeps or archives it; an over-long body is refused', T, async () => {
    const [a, c] = [await user('cfa'), await user('cfc')];
    const name = uniqueName('cfm');
    await ts.addUsers([name, 'pw']);
    const mallory = await RawClient.login(ts.ports.c2s, name, 'pw', 'raw', ts.domain);
    try {
      const room = `filtered-${uniqueName('r')}@${service}`;
      await createRoom(a, room, 'alice', { persistentroom: '1' });
      mallory.send(`<presence to='${room}/mallory'><x xmlns='http://jabber.org/protocol/muc'/></presence>`);
      await mallory.next((e) => e.is('presence') && e.attr('from') === `${room}/mallory`, 'mallory in the room');
      const bad = loadContentCorpus().find((e) => e.name === 'xhtml-script')!;
      assert.notDeepEqual(safetyProblems(bad.payload), [], 'the payload is dangerous as sent');
      mallory.send(`<message to='${room}' id='bad-1' type='groupchat'>${bad.payload}</message>`);
      const live = await a.next((e) => e.is('message') && e.attrs.id === 'bad-1', 'the filtered groupchat');
      assert.deepEqual(safetyProblems(live.toString()), []);
      assert.equal(live.getChildText('body'), 'hi', 'the text itself arrives');
      await join(c, room, 'carol');
      const history = await c.next((e) => e.is('message') && e.attrs.id === 'bad-1', 'the history');
      assert.deepEqual(safetyProblems(history.toString()), [], 'room history keeps the filtered copy');
      const fin = await c.iq(xml('iq', { type: 'set', to: room }, xml('query', { xmlns: 'urn:xmpp:mam:2', queryid: 'cf' })));
      assert.ok(fin.getChild('fin', 'urn:xmpp:mam:2'));
      const archived = c.inbox.take((e) => e.is('message') && e.getChild('result', 'urn:xmpp:mam:2')?.attrs.queryid === 'cf');
      assert.equal(archived.length, 1);
      assert.deepEqual(safetyProblems(archived[0]!.toString()), [], 'the archive keeps the filtered copy');
      mallory.send(`<message to='${room}' id='long-1' type='groupchat'><body>${'A'.repeat(10_001)}</body></message>`);
      const refused = await mallory.next((e) => e.is('message') && e.attr('id') === 'long-1', 'the refusal');
      assert.equal(stanzaErrorCondition(refused), 'policy-violation');
      await groupchat(a, room, 'after the refusal');
      await bodyFrom(c, `${room}/alice`, 'after the refusal');
      assert.deepEqual(c.inbox.take((e) => e.is('message') && e.attrs.id === 'long-1'), [], 'nobody got the over-long message');
    } finally {
      mallory.close();
    }
  });

  test('parley room create, list, config and destroy work while the embedded server runs, through its admin socket and the room actor', { timeout: 60_000 }, async () => {
    // The CLI finds a running server by its data-directory lock and talks to its admin socket (docs/decisions/0005).
    const dataDir = mkdtempSync(joinPath(tmpdir(), 'parley-rooms-'));
    const lock = acquireDataDirLock(dataDir);
    const socket = await startAdminSocket({ config: { ...ts.server.config, dataDir }, store: ts.server.store, log: createLogger({ level: 'silent' }), bus: ts.server.bus });
    const [a, b] = [await user('cli'), await user('clib')];
    const name = uniqueName('cliroom');
    const room = `${name}@${service}`;
    try {
      const created = await parleyCli(['room', 'create', name, '--owner', bareOf(a.jid!), 'name=CLI Lounge'], { PARLEY_DATA_DIR: dataDir });
      assert.equal(created.stdout, `created ${room}\n`, created.stderr);
      await join(a, room, 'owner'); // the running server serves the new room at once
      await join(b, room, 'bob');
      // The other commands through the same client the CLI uses (each CLI start costs a second or more).
      const ops = socketRoomOps((method, path, body) => callAdminSocket(dataDir, method, path, body));
      assert.ok((await ops.list()).includes(`${room}  2 occupants  public,persistent,open  CLI Lounge`));
      // XEP-0045 §10.2.1: the room actor applies it at once and tells the occupants (104, and 172 for whois=anyone).
      assert.equal((await ops.config(name, ['whois=anyone'])).whois, 'anyone');
      const note = await b.next((e) => e.is('message') && e.attrs.from === room && codesOf(e).includes('104'), 'config change note');
      assert.deepEqual(codesOf(note), ['104', '172']);
      const seen = await join(await user('clic'), room, 'carol');
      assert.ok(codesOf(seen).includes('100'), 'in force at once: the room is non-anonymous now');
      await assert.rejects(ops.config(name, ['colour=red']), /unknown room setting colour/);
      // §9.4/§10.2: members-only now; bob and carol are no members, so the room removes them (322), the owner stays.
      assert.equal((await ops.config(name, ['membersOnly=true'])).membersOnly, true);
      assert.deepEqual(codesOf(await b.presence(`${room}/bob`, 'unavailable', 'bob removed')), ['110', '322']);
      await a.presence(`${room}/carol`, 'unavailable', 'carol removed');
      await assert.rejects(join(b, room, 'bob'), /registration-required/);
      // §10.9: a destroy tells every occupant, with the reason; the room, its history and archive are gone.
      assert.equal(await ops.destroy(name, 'closing time'), room);
      const gone = await a.presence(`${room}/owner`, 'unavailable', 'destroyed');
      assert.equal(gone.getChild('x', MUC_USER)?.getChild('destroy')?.getChildText('reason'), 'closing time');
      assert.equal(await ts.server.store.muc.getRoom(room), null);
      await assert.rejects(ops.destroy(name), /no room/);
    } finally {
      await socket.close();
      lock.release();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

const roomPresence = (room: string) => (e: XmlElement) => e.is('presence') && (e.attrs.from ?? '').startsWith(`${room}/`) && !codesOf(e).includes('110');

/**
 * Proves that nothing of the room's presence is still on its way to `clients`: `by` posts a groupchat
 * that every one of them receives — the room actor sent any presence before it — then the room
 * presences (other than their own) each got are returned, and taken out of their inboxes.
 */
async function flushPresences(by: XmppJsClient, room: string, byNick: string, clients: XmppJsClient[]): Promise<string[][]> {
  const body = `flush ${uniqueName('f')}`;
  await groupchat(by, room, body);
  for (const c of clients) await bodyFrom(c, `${room}/${byNick}`, body);
  return clients.map((c) => c.inbox.take(roomPresence(room)).map((p) => `${p.attrs.from!.slice(room.length + 1)} ${p.attrs.type ?? 'available'} ${itemOf(p)?.attrs.role}`));
}

describe('room presence broadcast (§10.2) and overcrowding with xmpp.js', () => {
  test('a room that broadcasts only moderators: participants never see each other, everyone sees the moderator, groupchat reaches all', T, async () => {
    const [a, b, c] = [await user('pba'), await user('pbb'), await user('pbc')];
    const room = `mods-${uniqueName('r')}@${service}`;
    await createRoom(a, room, 'alice', { presencebroadcast: 'moderator' });
    // §10.2: the setting is kept with the room's configuration and shown in the owner's form.
    const form = (await a.iq(xml('iq', { type: 'get', to: room }, xml('query', { xmlns: MUC_OWNER })))).getChild('query')!.getChild('x', 'jabber:x:data')!;
    const field = form.getChildren('field').find((f) => f.attrs.var === 'muc#roomconfig_presencebroadcast')!;
    assert.equal(field.attrs.type, 'list-multi');
    assert.deepEqual(field.getChildren('value').map((v) => v.text()), ['moderator']);

    // Bob enters: his self-presence (110) comes, with alice (a moderator) in his roster.
    const bobSelf = await join(b, room, 'bob');
    assert.equal(itemOf(bobSelf)?.attrs.role, 'participant');
    await b.next((e) => e.is('presence') && e.attrs.from === `${room}/alice` && itemOf(e)?.attrs.role === 'moderator', 'alice in bob’s roster');
    await join(c, room, 'carol');
    await c.next((e) => e.is('presence') && e.attrs.from === `${room}/alice`, 'alice in carol’s roster');
    // Carol changes her status and bob changes his nickname: only they hear of it.
    await c.send(xml('presence', { to: `${room}/carol` }, xml('status', {}, 'reading')));
    await c.next((e) => e.is('presence') && e.attrs.from === `${room}/carol` && e.getChildText('status') === 'reading', 'carol’s own status');
    await b.send(xml('presence', { to: `${room}/bobby` }));
    await b.next((e) => e.is('presence') && e.attrs.from === `${room}/bobby` && codesOf(e).includes('110'), 'bob’s own new nickname');
    // Groupchat from participants reaches everybody, and no participant's presence reached anyone.
    await groupchat(c, room, 'carol speaks');
    for (const x of [a, b, c]) await bodyFrom(x, `${room}/carol`, 'carol speaks');
    assert.deepEqual(await flushPresences(b, room, 'bobby', [a, b, c]), [[], [], []]);

    // The room still knows them all: the moderator's role list, disco#items and a self-ping (XEP-0410).
    const list = await a.iq(xml('iq', { type: 'get', to: room }, xml('query', { xmlns: MUC_ADMIN }, xml('item', { role: 'participant' }))));
    assert.deepEqual(list.getChild('query')!.getChildren('item').map((i) => i.attrs.nick).sort(), ['bobby', 'carol']);
    const items = await b.iq(xml('iq', { type: 'get', to: room }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#items' })));
    assert.deepEqual(items.getChild('query')!.getChildren('item').map((i) => i.attrs.name).sort(), ['alice', 'bobby', 'carol']);
    await c.ping(`${room}/carol`);

    // A role change into a broadcast role announces bob to everyone; out of it, everyone sees him leave.
    await setItems(a, room, MUC_ADMIN, xml('item', { nick: 'bobby', role: 'moderator' }));
    for (const x of [a, c]) await x.next((e) => e.is('presence') && e.attrs.from === `${room}/bobby` && itemOf(e)?.attrs.role === 'moderator' && e.attrs.type === undefined, 'bobby as moderator');
    await setItems(a, room, MUC_ADMIN, xml('item', { nick: 'bobby', role: 'participant' }));
    for (const x of [a, c]) await x.next((e) => e.is('presence') && e.attrs.from === `${room}/bobby` && e.attrs.type === 'unavailable' && itemOf(e)?.attrs.role === 'none', 'bobby hidden again');
    await b.next((e) => e.is('presence') && e.attrs.from === `${room}/bobby` && codesOf(e).includes('110') && itemOf(e)?.attrs.role === 'participant', 'bob’s own role change');

    // Carol leaves: bob is not told, she is.
    await c.send(xml('presence', { to: `${room}/carol`, type: 'unavailable' }));
    await c.next((e) => e.is('presence') && e.attrs.from === `${room}/carol` && e.attrs.type === 'unavailable' && codesOf(e).includes('110'), 'carol’s own exit');
    assert.deepEqual(await flushPresences(a, room, 'alice', [a, b]), [[], []]);

    // Broadcasting participants again (§10.2, as Prosody does): the others are announced to each other now.
    await configure(a, room, { presencebroadcast: 'participant' });
    await a.next((e) => e.is('presence') && e.attrs.from === `${room}/bobby` && e.attrs.type === undefined, 'bobby announced to alice');
    await b.next((e) => e.is('presence') && e.attrs.from === `${room}/alice` && e.attrs.type === 'unavailable', 'alice (a moderator) no longer broadcast');
  });

  test('a role the form does not know is refused (not-acceptable)', T, async () => {
    const a = await user('pbx');
    const room = `badform-${uniqueName('r')}@${service}`;
    await createRoom(a, room, 'alice');
    assert.equal(await iqError(configure(a, room, { presencebroadcast: 'owner' })), 'not-acceptable');
  });

  test('past the overcrowding threshold (4), a joiner gets only its own presence, nobody hears of it, and groupchat still reaches everyone', T, async () => {
    const [a, b, c, d, e] = [await user('oca'), await user('ocb'), await user('occ'), await user('ocd'), await user('oce')];
    const room = `crowd-${uniqueName('r')}@${service}`;
    await createRoom(a, room, 'alice');
    // Up to four occupants (4 is not more than 4) everyone sees everyone, rosters included.
    const nicks = ['alice'];
    for (const [x, nick] of [[b, 'bob'], [c, 'carol'], [d, 'dave']] as const) {
      await join(x, room, nick);
      for (const other of nicks) await x.next((p) => p.is('presence') && p.attrs.from === `${room}/${other}`, `${other} in ${nick}’s roster`);
      for (const y of [a, b, c].slice(0, nicks.length)) await y.next((p) => p.is('presence') && p.attrs.from === `${room}/${nick}`, `${nick} joining`);
      nicks.push(nick);
    }
    // The fifth: eve gets her self-presence (110) and no roster; nobody else hears of her.
    const eveSelf = await join(e, room, 'eve');
    assert.deepEqual(codesOf(eveSelf), ['110']);
    await e.send(xml('presence', { to: `${room}/eve` }, xml('show', {}, 'away')));
    await e.next((p) => p.is('presence') && p.attrs.from === `${room}/eve` && p.getChildText('show') === 'away', 'eve’s own status');
    await groupchat(e, room, 'eve speaks');
    for (const x of [a, b, c, d, e]) await bodyFrom(x, `${room}/eve`, 'eve speaks');
    assert.deepEqual(await flushPresences(a, room, 'alice', [a, b, c, d, e]), [[], [], [], [], []]);
    // The room counts and lists all five; eve's self-ping is answered.
    const info = await b.iq(xml('iq', { type: 'get', to: room }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })));
    const occupants = info.getChild('query')!.getChild('x', 'jabber:x:data')!.getChildren('field').find((f) => f.attrs.var === 'muc#roominfo_occupants');
    assert.equal(occupants?.getChildText('value'), '5');
    const list = await a.iq(xml('iq', { type: 'get', to: room }, xml('query', { xmlns: MUC_ADMIN }, xml('item', { role: 'participant' }))));
    assert.deepEqual(list.getChild('query')!.getChildren('item').map((i) => i.attrs.nick).sort(), ['bob', 'carol', 'dave', 'eve']);
    await e.ping(`${room}/eve`);
    // Bob leaves a room of five: only he is told (as in ejabberd, moderators are not told either).
    await b.send(xml('presence', { to: `${room}/bob`, type: 'unavailable' }));
    await b.next((p) => p.is('presence') && p.attrs.from === `${room}/bob` && p.attrs.type === 'unavailable' && codesOf(p).includes('110'), 'bob’s own exit');
    assert.deepEqual(await flushPresences(a, room, 'alice', [a, c, d, e]), [[], [], [], []]);
    // Four again: presence is broadcast once more.
    await c.send(xml('presence', { to: `${room}/carol` }, xml('status', {}, 'back to normal')));
    for (const x of [a, e]) await x.next((p) => p.is('presence') && p.attrs.from === `${room}/carol` && p.getChildText('status') === 'back to normal', 'carol’s status, broadcast again');
  });
});
