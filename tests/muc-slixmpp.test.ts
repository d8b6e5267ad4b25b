// Chatrooms (XEP-0045) with slixmpp's xep_0045 plugin (Debian python3-slixmpp) and xmpp.js in the
// same rooms: create and configure with the owner's form, the directory, groupchat, whispers,
// anonymity, kick and ban, nickname conflict, invitations with a decline, members-only refusal.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { bodyFrom, join, SlixMuc } from './harness/muc.ts';
import { startTestServer, type TestServer, uniqueName } from './harness/server.ts';
import { SlixClient } from './harness/slix.ts';
import { slixMam } from './harness/slix-mam.ts';
import { XmppJsClient, xml } from './harness/xmppjs.ts';

const T = { timeout: 60_000 };
let ts: TestServer;
let service: string;
let alice: SlixMuc;
let bob: SlixMuc;
let carol: XmppJsClient;
const jids: Record<string, string> = {};

before(async () => {
  ts = await startTestServer({ mucCreators: 'local' });
  service = `conference.${ts.domain}`;
  for (const n of ['alice', 'bob', 'carol']) jids[n] = (await ts.addUsers([n, `pw-${n}`]))[0]!;
  alice = new SlixMuc(await SlixClient.connect({ jid: `${jids.alice}/slix`, password: 'pw-alice', port: ts.ports.c2s }));
  bob = new SlixMuc(await SlixClient.connect({ jid: `${jids.bob}/slix`, password: 'pw-bob', port: ts.ports.c2s }));
  carol = await XmppJsClient.connect({ service: `xmpp://127.0.0.1:${ts.ports.c2s}`, domain: ts.domain, username: 'carol', password: 'pw-carol', fingerprint: ts.server.fingerprint });
  await carol.send(xml('presence'));
});
after(async () => {
  await alice?.c.stop();
  await bob?.c.stop();
  await carol?.stop();
  await ts.stop();
});

describe('chatrooms with slixmpp xep_0045', () => {
  test('alice creates and configures a room from its form; it is listed; bob and carol join; groupchat reaches all', T, async () => {
    const room = `${uniqueName('lounge')}@${service}`;
    const created = await alice.join(room, 'alice');
    assert.equal(created.joined, true);
    assert.deepEqual(created.codes, ['110', '201']);
    const cfg = await alice.configure(room, { roomname: 'The Lounge', persistentroom: true });
    assert.ok((cfg.fields as string[]).includes('muc#roomconfig_membersonly'), 'the form offers the XEP-0045 §10.2 fields');
    const listed = await bob.rooms(service);
    assert.ok(listed.some((r) => r.jid === room && r.name === 'The Lounge'), JSON.stringify(listed));
    const b = await bob.join(room, 'bob');
    assert.deepEqual(b.occupants, ['alice', 'bob']);
    await join(carol, room, 'carol');
    await bob.say(room, 'hi everyone');
    await alice.c.message((m) => m.from === `${room}/bob` && m.body === 'hi everyone' && m.type === 'groupchat', 'alice gets it');
    await bob.c.message((m) => m.from === `${room}/bob` && m.body === 'hi everyone', 'bob gets his own echo');
    await bodyFrom(carol, `${room}/bob`, 'hi everyone');
  });

  test('a whisper reaches bob only; carol gets nothing (flushed through the room); real JIDs only for the moderator', T, async () => {
    const room = `${uniqueName('quiet')}@${service}`;
    await alice.join(room, 'alice');
    await alice.configure(room, {});
    await bob.join(room, 'bob');
    await join(carol, room, 'carol');
    // Semi-anonymous: alice (moderator) learned bob's real JID, bob did not learn carol's.
    assert.equal(await alice.realJid(room, 'bob'), `${jids.bob}/slix`);
    assert.equal(await bob.realJid(room, 'carol'), null);
    await alice.whisper(room, 'bob', 'for your eyes only');
    const w = await bob.c.message((m) => m.body === 'for your eyes only', 'the whisper');
    assert.equal(w.from, `${room}/alice`);
    // Flush both ways a stanza could reach carol: through the room, and through her session actor (the whisper's path).
    await alice.say(room, 'flush');
    await bodyFrom(carol, `${room}/alice`, 'flush');
    await alice.c.sendMessage(carol.jid, 'direct flush');
    await carol.next((e) => e.is('message') && e.getChildText('body') === 'direct flush', 'the direct flush');
    assert.deepEqual(carol.inbox.take((e) => e.is('message') && e.getChildText('body') === 'for your eyes only'), []);
  });

  test('nickname conflict; a kick and a ban keep the user out under any nickname', T, async () => {
    const room = `${uniqueName('strict')}@${service}`;
    await alice.join(room, 'alice');
    await alice.configure(room, {});
    assert.deepEqual(await bob.join(room, 'alice'), { joined: false, condition: 'conflict' });
    await bob.join(room, 'bob');
    await alice.setRole(room, 'bob', 'none', 'out');
    const kicked = await bob.presence((p) => p.from === `${room}/bob` && p.type === 'unavailable', 'bob kicked');
    assert.deepEqual(kicked.codes, ['110', '307']);
    // A kicked user does not come straight back under another nickname.
    assert.deepEqual(await bob.join(room, 'robert'), { joined: false, condition: 'forbidden' });
    await alice.setAffiliation(room, jids.bob!, 'outcast', 'spam');
    assert.deepEqual(await bob.join(room, 'bobby'), { joined: false, condition: 'forbidden' });
    assert.deepEqual(await alice.affiliations(room, 'outcast'), [jids.bob]);
  });

  test('members-only: bob is refused, invited (which admits him), and carol declines her invitation', T, async () => {
    const room = `${uniqueName('circle')}@${service}`;
    await alice.join(room, 'alice');
    await alice.configure(room, { membersonly: true, publicroom: false });
    assert.deepEqual(await bob.join(room, 'bob'), { joined: false, condition: 'registration-required' });
    await alice.invite(room, jids.bob!, 'come in');
    const inv = await bob.event('muc_invite', 'the invitation');
    assert.equal(inv.room, room);
    assert.equal(inv.from, jids.alice);
    assert.equal(inv.reason, 'come in');
    assert.equal((await bob.join(room, 'bob')).joined, true);
    await alice.invite(room, jids.carol!);
    const mine = await carol.next((e) => e.is('message') && e.attrs.from === room, 'carol invited');
    assert.ok(mine.getChild('x', 'http://jabber.org/protocol/muc#user')?.getChild('invite'));
    await carol.send(xml('message', { to: room }, xml('x', { xmlns: 'http://jabber.org/protocol/muc#user' }, xml('decline', { to: jids.alice }, xml('reason', {}, 'no time')))));
    const dec = await alice.event('muc_decline', 'the decline');
    assert.equal(dec.from, jids.carol);
    assert.equal(dec.reason, 'no time');
    assert.deepEqual(await alice.affiliations(room, 'member'), [jids.bob, jids.carol].sort());
  });

  test('a persistent room archives its groupchat: slixmpp xep_0313 pages the room archive, whispers are not in it, real JIDs only for the moderator', T, async () => {
    const room = `${uniqueName('minutes')}@${service}`;
    await alice.join(room, 'alice');
    // slixmpp resubmits every field, archiving (shown off for the new, temporary room) included: it follows persistence.
    await alice.configure(room, { persistentroom: true });
    await bob.join(room, 'bob');
    await join(carol, room, 'carol');
    const info = await carol.iq(xml('iq', { type: 'get', to: room }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })));
    assert.ok(info.getChild('query')!.getChildren('feature').some((f) => f.attrs.var === 'urn:xmpp:mam:2'), 'the room advertises its archive');
    await bob.say(room, 'first words');
    const sid = await slixMam(alice.c).stanzaIdOf('first words');
    assert.equal(sid.by, room, 'the stanza-id is by the room');
    await alice.say(room, 'an answer');
    await bob.whisper(room, 'alice', 'just between us');
    await alice.c.message((m) => m.body === 'just between us', 'the whisper');
    await bob.say(room, 'last words');
    await bodyFrom(carol, `${room}/bob`, 'last words');

    const bobs = await slixMam(bob.c).all({ jid: room, max: 2 });
    assert.deepEqual(bobs.map((r) => r.body), ['first words', 'an answer', 'last words'], 'no whisper in the room archive');
    assert.deepEqual(bobs.map((r) => r.from), [`${room}/bob`, `${room}/alice`, `${room}/bob`]);
    assert.equal(bobs[0]!.id, sid.id, 'the stanza-id occupants saw is the archive id');
    assert.ok(bobs.every((r) => r.real_jid === null), 'a participant of a semi-anonymous room sees no real JID');
    const alices = await slixMam(alice.c).all({ jid: room, reverse: true, max: 2 });
    assert.deepEqual(alices.map((r) => r.real_jid), [`${jids.bob}/slix`, `${jids.alice}/slix`, `${jids.bob}/slix`].reverse(), 'the moderator sees real JIDs');
    const page = await slixMam(bob.c).page({ jid: room, max: 1, after: sid.id });
    assert.deepEqual(page.results.map((r) => r.body), ['an answer']);
    assert.equal(page.complete, false);
    assert.deepEqual((await slixMam(bob.c).all()).filter((r) => r.body === 'first words'), [], 'groupchat is not in the occupants’ own archives');
  });
});
