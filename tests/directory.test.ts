// The opt-in user directory (XEP-0055 with XEP-0004 forms): users publish fields with an ad-hoc
// command (XEP-0050), choosing per field who may find them by it; searches show only that.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { castPerFile } from './harness/cast.ts';
import { slixProfile } from './harness/profile.ts';
import { xml } from './harness/xmppjs.ts';

const T = { timeout: 30_000 };
const cast = castPerFile({ directoryMaxResults: 3, directorySearchesPerMinute: 6 });
const EDIT = 'urn:parley:directory:edit';

describe('user directory (XEP-0055)', () => {
  test('a user publishes per field; others find only what they may see, contacts see more', T, async () => {
    const a = await cast.account('dirann');
    const b = await cast.account('dirbob');
    const c = await cast.account('dircarol');
    const ann = await cast.slix(a);
    const bob = await cast.slix(b);
    const carol = await cast.slix(c);

    // Opt-in: before editing, nothing about Ann is found.
    const first = await slixProfile(ann).command(EDIT);
    assert.equal(first.status, 'executing');
    assert.deepEqual(first.fields['name#visibility'], ['nobody'], 'new fields are published to nobody');
    assert.deepEqual(first.actions, ['complete']);
    const done = await slixProfile(ann).command(EDIT, {
      sessionid: first.sessionid,
      action: 'complete',
      values: { name: 'Ann Dirksen', 'name#visibility': 'everyone', email: 'ann@mail.example', 'email#visibility': 'contacts', country: 'France', 'country#visibility': 'nobody' },
    });
    assert.equal(done.status, 'completed');
    assert.match(done.notes[0] ?? '', /2 field/);
    // Editing again shows what was saved.
    const again = await slixProfile(ann).command(EDIT);
    assert.deepEqual(again.fields.email, ['ann@mail.example']);
    await slixProfile(ann).command(EDIT, { sessionid: again.sessionid, action: 'cancel' });

    const form = await slixProfile(bob).searchFields();
    assert.ok(['name', 'nickname', 'email', 'country', 'birthyear'].every((f) => form.fields.includes(f)));
    const byName = await slixProfile(bob).search({ name: 'dirksen' });
    assert.deepEqual(byName.items, [{ jid: a.jid, name: 'Ann Dirksen' }], 'only the published field, not email or country');
    assert.deepEqual((await slixProfile(bob).search({ email: 'ann@mail' })).items, [], 'email is for contacts');
    assert.deepEqual((await slixProfile(bob).search({ country: 'France' })).items, [], 'country is for nobody');

    // Carol becomes a contact Ann shares her presence with ('from'): she may find the email.
    await carol.subscribe(a.jid);
    await ann.presence((p) => p.type === 'subscribe', 'carol asking');
    await ann.approve(c.jid);
    await carol.presence((p) => p.type === 'subscribed', 'the approval');
    assert.deepEqual((await slixProfile(carol).search({ email: 'ann@mail' })).items, [{ jid: a.jid, name: 'Ann Dirksen', email: 'ann@mail.example' }]);
  });

  test('an unpublished account and a missing one give the same answer', T, async () => {
    const h = await cast.account('dirhidden');
    const s = await cast.account('dirseeker');
    const hidden = await cast.slix(h);
    const seeker = await cast.slix(s);
    const start = await slixProfile(hidden).command(EDIT);
    await slixProfile(hidden).command(EDIT, { sessionid: start.sessionid, action: 'complete', values: { name: 'Hidden Hilda', 'name#visibility': 'nobody' } });
    const forHidden = await slixProfile(seeker).search({ name: 'Hidden Hilda' });
    const forMissing = await slixProfile(seeker).search({ name: 'Nobody Nowhere' });
    assert.deepEqual([forHidden.items, forHidden.reported], [forMissing.items, forMissing.reported]);
    assert.deepEqual(forHidden.items, []);
  });

  test('results are capped, searches rate-limited per account, and an empty search refused', T, async () => {
    const store = cast.server().server.store;
    for (let i = 0; i < 5; i++) await store.directory.put(`capped${i}@${cast.server().domain}`, [{ field: 'nickname', value: `capper${i}`, visibility: 'everyone' }]);
    const s = await cast.account('dirrate');
    const js = await cast.xmppjs(s);
    const search = (fields: Record<string, string>) =>
      js.iq(
        xml(
          'iq',
          { type: 'set', to: cast.server().domain },
          xml(
            'query',
            { xmlns: 'jabber:iq:search' },
            xml('x', { xmlns: 'jabber:x:data', type: 'submit' }, ...Object.entries(fields).map(([k, v]) => xml('field', { var: k }, xml('value', {}, v)))),
          ),
        ),
      );
    const capped = await search({ FORM_TYPE: 'jabber:iq:search', nickname: 'capper' });
    assert.equal(capped.getChild('query')?.getChild('x', 'jabber:x:data')?.getChildren('item').length, 3);
    await assert.rejects(search({ FORM_TYPE: 'jabber:iq:search' }), (e: { condition?: string }) => e.condition === 'not-acceptable');
    for (let i = 0; i < 5; i++) await search({ nickname: 'capper' });
    await assert.rejects(search({ nickname: 'capper' }), (e: { condition?: string }) => e.condition === 'resource-constraint');
    // The legacy (form-less) search answers with <item/> elements.
    const other = await cast.account('dirlegacy');
    const legacy = await cast.xmppjs(other);
    const res = await legacy.iq(xml('iq', { type: 'set', to: cast.server().domain }, xml('query', { xmlns: 'jabber:iq:search' }, xml('nick', {}, 'capper1'))));
    assert.deepEqual(res.getChild('query')?.getChildren('item').map((i) => [i.attrs.jid, i.getChildText('nick')]), [[`capped1@${cast.server().domain}`, 'capper1']]);
  });
});
