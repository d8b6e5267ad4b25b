// XEP-0313 message archive with real clients: slixmpp's xep_0313/xep_0059 plugins page through
// both archives of a conversation; xmpp.js asks for the last page, flipped, and searches the text.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { castPerFile } from './harness/cast.ts';
import { slixMam } from './harness/slix-mam.ts';
import { type XmlElement, xml } from './harness/xmppjs.ts';

const T = { timeout: 60_000 };
const cast = castPerFile();
const MAM = 'urn:xmpp:mam:2';
const RSM = 'http://jabber.org/protocol/rsm';

describe('message archive (XEP-0313) with real clients', () => {
  test('a conversation is archived both ways and slixmpp pages through it forward, backward and filtered', T, async () => {
    const a = await cast.account('mamalice');
    const b = await cast.account('mambob');
    const c = await cast.account('mamcarol');
    const alice = await cast.slix(a);
    const bob = await cast.slix(b);
    const aliceMam = slixMam(alice);
    const bobMam = slixMam(bob);

    for (const body of ['one', 'two', 'three']) await alice.sendMessage(b.jid, body);
    for (const body of ['one', 'two', 'three']) await bob.message((m) => m.body === body, `bob gets "${body}"`);
    const sid = await bobMam.stanzaIdOf('three');
    assert.equal(sid.by, b.jid, 'the stanza-id is by the recipient’s archive');
    for (const body of ['four', 'five']) await bob.sendMessage(a.jid, body);
    await alice.message((m) => m.body === 'five', 'alice gets "five"');
    await alice.sendMessage(c.jid, 'to carol');
    await alice.ping();

    const forward = await aliceMam.all({ max: 2 });
    assert.deepEqual(forward.map((r) => r.body), ['one', 'two', 'three', 'four', 'five', 'to carol']);
    assert.ok(forward.every((r) => r.stamp), 'each result carries its delay stamp');
    const backward = await aliceMam.all({ max: 2, reverse: true });
    assert.deepEqual(backward.map((r) => r.body), ['to carol', 'five', 'four', 'three', 'two', 'one'], 'slixmpp pages back from the last page');

    const bobs = await bobMam.all({ max: 4 });
    assert.deepEqual(bobs.map((r) => r.body), ['one', 'two', 'three', 'four', 'five'], 'the recipient’s archive has the same conversation');
    assert.equal(bobs[2]!.id, sid.id, 'the stanza-id is the id in the archive');

    assert.deepEqual((await aliceMam.all({ with: c.jid })).map((r) => r.body), ['to carol']);
    const firstPage = await aliceMam.page({ max: 2 });
    assert.deepEqual(firstPage.results.map((r) => r.body), ['one', 'two']);
    assert.equal(firstPage.complete, false);
    const rest = await aliceMam.page({ max: 10, after: firstPage.last! });
    assert.deepEqual(rest.results.map((r) => r.body), ['three', 'four', 'five', 'to carol']);
    assert.equal(rest.complete, true);
    const future = new Date(Date.now() + 3_600_000).toISOString();
    assert.deepEqual((await aliceMam.page({ start: future })).results, []);
    const since = forward[3]!.stamp!;
    assert.deepEqual((await aliceMam.page({ start: since, with: b.jid })).results.map((r) => r.body), ['four', 'five']);
    assert.deepEqual((await aliceMam.page({ fulltext: 'carol' })).results.map((r) => r.body), ['to carol']);
  });

  test('preferences: a contact set to never is not archived by the one who set it', T, async () => {
    const a = await cast.account('prefalice');
    const b = await cast.account('prefbob');
    const alice = await cast.slix(a);
    const bob = await cast.slix(b);
    const bobMam = slixMam(bob);
    assert.deepEqual(await bobMam.prefs(), { default: 'always', always: [], never: [] });
    assert.deepEqual(await bobMam.setPrefs({ default: 'always', always: [], never: [a.jid] }), { default: 'always', always: [], never: [a.jid] });
    await alice.sendMessage(b.jid, 'off the record');
    await bob.message((m) => m.body === 'off the record', 'bob gets it');
    assert.deepEqual(await bobMam.all(), []);
    assert.deepEqual((await slixMam(alice).all()).map((r) => r.body), ['off the record'], 'the sender’s own preferences still keep it');
  });

  test('a sender who turns her archive to never is not archived from her next message on (cached preferences are forgotten)', T, async () => {
    const a = await cast.account('cachealice');
    const b = await cast.account('cachebob');
    const alice = await cast.slix(a);
    const bob = await cast.slix(b);
    await alice.sendMessage(b.jid, 'kept');
    await bob.message((m) => m.body === 'kept', 'bob gets the first');
    await slixMam(alice).setPrefs({ default: 'never', always: [], never: [] });
    await alice.sendMessage(b.jid, 'not kept');
    await bob.message((m) => m.body === 'not kept', 'bob gets the second');
    assert.deepEqual((await slixMam(alice).all()).map((r) => r.body), ['kept']);
    assert.deepEqual((await slixMam(bob).all()).map((r) => r.body), ['kept', 'not kept'], 'bob’s own preferences still keep it');
  });

  test('a retracted message is a tombstone in both archives, and the retraction is archived', T, async () => {
    const a = await cast.account('retalice');
    const b = await cast.account('retbob');
    const alice = await cast.slix(a);
    const bob = await cast.slix(b);
    const aliceMam = slixMam(alice);
    await aliceMam.sendChat(b.jid, 'wrong chat', 'origin-oops');
    await bob.message((m) => m.body === 'wrong chat', 'bob gets it');
    await aliceMam.retract(b.jid, 'origin-oops');
    await bob.message((m) => m.body.includes('retract'), 'bob gets the retraction');
    for (const who of [alice, bob]) {
      const [gone, retraction] = await slixMam(who).all();
      assert.equal(gone?.retracted, true);
      assert.equal(gone?.body, null, 'no trace of the text');
      assert.equal(gone?.origin_id, 'origin-oops', 'the origin-id stays so clients can match the retraction');
      assert.equal(retraction?.retracted, false);
    }
  });

  test('xmpp.js: disco on the account, the last page with an empty <before/>, flipped, and a bad query refused', T, async () => {
    const a = await cast.account('jsalice');
    const b = await cast.account('jsbob');
    const alice = await cast.xmppjs(a);
    const bob = await cast.xmppjs(b);
    await bob.send(xml('presence'));
    await alice.send(xml('presence'));
    await bob.ping();
    for (const body of ['a', 'b', 'c', 'd']) await alice.send(xml('message', { to: b.jid, type: 'chat' }, xml('body', {}, body)));
    const got = await bob.next((e) => e.is('message') && e.getChildText('body') === 'd', 'bob gets d');
    assert.equal(got.getChild('stanza-id', 'urn:xmpp:sid:0')?.attrs.by, b.jid);

    const info = await bob.iq(xml('iq', { type: 'get', to: b.jid }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })));
    assert.ok(info.getChild('query')!.getChildren('feature').some((f) => f.attrs.var === MAM), 'advertised by the account');

    const query = async (queryid: string, ...children: XmlElement[]) => {
      const fin = await bob.iq(xml('iq', { type: 'set' }, xml('query', { xmlns: MAM, queryid }, ...children)));
      const results = bob.inbox.take((e) => e.is('message') && e.getChild('result', MAM)?.attrs.queryid === queryid);
      const bodies = results.map((m) => m.getChild('result', MAM)!.getChild('forwarded', 'urn:xmpp:forward:0')!.getChild('message')!.getChildText('body'));
      return { fin: fin.getChild('fin', MAM)!, bodies };
    };
    const last = await query('last', xml('set', { xmlns: RSM }, xml('max', {}, '3'), xml('before')));
    assert.deepEqual(last.bodies, ['b', 'c', 'd']);
    assert.equal(last.fin.attrs.complete, undefined, 'an earlier message remains');
    const flipped = await query('flip', xml('set', { xmlns: RSM }, xml('max', {}, '3'), xml('before')), xml('flip-page'));
    assert.deepEqual(flipped.bodies, ['d', 'c', 'b']);
    const earlier = await query('earlier', xml('set', { xmlns: RSM }, xml('max', {}, '3'), xml('before', {}, last.fin.getChild('set')!.getChildText('first')!)));
    assert.deepEqual(earlier.bodies, ['a']);
    assert.equal(earlier.fin.attrs.complete, 'true');
    const search = await query(
      'search',
      xml('x', { xmlns: 'jabber:x:data', type: 'submit' }, xml('field', { var: 'FORM_TYPE', type: 'hidden' }, xml('value', {}, MAM)), xml('field', { var: '{urn:xmpp:fulltext:0}fulltext' }, xml('value', {}, 'c'))),
    );
    assert.deepEqual(search.bodies, ['c']);

    await assert.rejects(
      bob.iq(xml('iq', { type: 'set' }, xml('query', { xmlns: MAM }, xml('x', { xmlns: 'jabber:x:data', type: 'submit' }, xml('field', { var: 'mood' }, xml('value', {}, 'happy')))))),
      (e: { condition?: string }) => e.condition === 'bad-request',
    );
    await bob.ping(); // the session is still fine after the refusal
  });
});
