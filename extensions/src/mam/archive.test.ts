// The archive module in the session actor (tests/harness/actors.ts): what is archived where, the
// stanza-id the recipient sees, queries with paging and filters, preferences, retraction, bad input.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type Element, parseFragment } from '@parley/xml';
import { actorWorldPerFile, errorCondition, type Resource, type Scene } from '../../../tests/harness/actors.ts';
import { archivable, parseQuery, tombstone } from './index.ts';

const world = actorWorldPerFile();
const MAM = 'urn:xmpp:mam:2';

let n = 0;
const chat = (to: string, body: string, extra = '') => `<message type="chat" to="${to}" id="m${++n}">${extra}<body>${body}</body></message>`;

interface Page {
  bodies: (string | undefined)[];
  ids: string[];
  results: Element[];
  fin: Element | undefined;
  error: string | undefined;
}

/** A MAM query from `r` to its own archive: the result messages it received, then the IQ answer. */
async function query(s: Scene, r: Resource, inner = '', attrs = ''): Promise<Page> {
  s.forget();
  await s.stanza('session', r.bare, `<iq type="set" id="q${++n}"${attrs}><query xmlns="${MAM}" queryid="qid">${inner}</query></iq>`, r);
  const got = s.received(r);
  const results = got.filter((e) => e.is('message') && e.getChild('result', MAM));
  const answer = got.find((e) => e.is('iq'));
  const forwarded = (m: Element) => m.getChild('result', MAM)!.getChild('forwarded', 'urn:xmpp:forward:0')!.getChild('message')!;
  return {
    results,
    bodies: results.map((m) => forwarded(m).getChildText('body')),
    ids: results.map((m) => m.getChild('result', MAM)!.attr('id')!),
    fin: answer?.getChild('fin', MAM),
    error: answer ? errorCondition(answer) : 'no answer',
  };
}

const form = (fields: Record<string, string>) =>
  `<x xmlns="jabber:x:data" type="submit"><field var="FORM_TYPE" type="hidden"><value>${MAM}</value></field>${Object.entries(fields)
    .map(([k, v]) => `<field var="${k}"><value>${v}</value></field>`)
    .join('')}</x>`;
const rsm = (inner: string) => `<set xmlns="http://jabber.org/protocol/rsm">${inner}</set>`;

describe('message archive in the session actor', () => {
  test('a chat is archived in both archives and the recipient sees its stanza-id', async () => {
    const { s, alice, bob, edge, alicePhone } = await world.aliceAndBob();
    const bobPhone = await s.online(bob, 'phone', edge);
    await s.stanza('session', bob, chat(bob, 'hello bob', `<origin-id xmlns="urn:xmpp:sid:0" id="orig-1"/>`), alicePhone);
    const [got] = s.received(bobPhone);
    const sid = got!.getChild('stanza-id', 'urn:xmpp:sid:0');
    assert.equal(sid?.attr('by'), bob);
    assert.equal(got!.getChild('origin-id', 'urn:xmpp:sid:0')?.attr('id'), 'orig-1', 'origin-id is kept');
    const mine = await query(s, bobPhone);
    assert.deepEqual(mine.bodies, ['hello bob']);
    assert.equal(mine.ids[0], sid?.attr('id'), 'the stanza-id is the archive id');
    assert.equal(mine.results[0]!.attr('from'), bob);
    assert.ok(mine.results[0]!.getChild('result', MAM)!.getChild('forwarded', 'urn:xmpp:forward:0')!.getChild('delay', 'urn:xmpp:delay')?.attr('stamp'));
    assert.equal(mine.fin?.attr('complete'), 'true');
    const theirs = await query(s, alicePhone);
    assert.deepEqual(theirs.bodies, ['hello bob'], "in the sender's archive too");
    assert.notEqual(theirs.ids[0], mine.ids[0], 'each archive has its own ids');
    assert.equal(alice.length > 0, true);
  });

  test('a message to an offline user is archived and stored offline; chat states alone are not archived', async () => {
    const { s, bob, alicePhone } = await world.aliceAndBob();
    await s.stanza('session', bob, chat(bob, 'while you were out'), alicePhone);
    await s.stanza('session', bob, `<message type="chat" to="${bob}"><active xmlns="http://jabber.org/protocol/chatstates"/></message>`, alicePhone);
    const bobLater = await s.online(bob, 'later', s.edge('later'));
    assert.deepEqual((await query(s, bobLater)).bodies, ['while you were out']);
  });

  test('a message the recipient blocked is in neither archive', async () => {
    const { s, bob, edge, alicePhone } = await world.aliceAndBob();
    const bobPhone = await s.online(bob, 'phone', edge);
    await s.stanza('presence', bob, `<iq type="set" id="b1"><block xmlns="urn:xmpp:blocking"><item jid="${alicePhone.bare}"/></block></iq>`, bobPhone);
    await s.stanza('session', bob, chat(bob, 'let me in'), alicePhone);
    assert.deepEqual(s.received(bobPhone).filter((e) => e.is('message')), []);
    assert.deepEqual((await query(s, bobPhone)).bodies, []);
    assert.deepEqual((await query(s, alicePhone)).bodies, []);
  });

  test('a forged stanza-id claiming to be from the archive is removed', async () => {
    const { s, bob, edge, alicePhone } = await world.aliceAndBob();
    const bobPhone = await s.online(bob, 'phone', edge);
    await s.stanza('session', bob, chat(bob, 'trust me', `<stanza-id xmlns="urn:xmpp:sid:0" by="${bob}" id="forged"/>`), alicePhone);
    const ids = s.received(bobPhone)[0]!.getChildren('stanza-id', 'urn:xmpp:sid:0').map((e) => e.attr('id'));
    assert.equal(ids.length, 1);
    assert.notEqual(ids[0], 'forged');
  });

  test('pages go forward with after, back from the end with an empty before, and can be flipped', async () => {
    const { s, bob, alicePhone } = await world.aliceAndBob();
    for (let i = 1; i <= 5; i++) await s.stanza('session', bob, chat(bob, `p${i}`), alicePhone);
    const first = await query(s, alicePhone, rsm('<max>2</max>'));
    assert.deepEqual(first.bodies, ['p1', 'p2']);
    assert.equal(first.fin?.attr('complete'), undefined);
    assert.equal(first.fin?.getChild('set')?.getChildText('last'), first.ids[1]);
    const second = await query(s, alicePhone, rsm(`<max>2</max><after>${first.ids[1]}</after>`));
    assert.deepEqual(second.bodies, ['p3', 'p4']);
    const third = await query(s, alicePhone, rsm(`<max>2</max><after>${second.ids[1]}</after>`));
    assert.deepEqual(third.bodies, ['p5']);
    assert.equal(third.fin?.attr('complete'), 'true');
    const last = await query(s, alicePhone, rsm('<max>2</max><before/>'));
    assert.deepEqual(last.bodies, ['p4', 'p5']);
    const before = await query(s, alicePhone, rsm(`<max>3</max><before>${last.ids[0]}</before>`));
    assert.deepEqual(before.bodies, ['p1', 'p2', 'p3']);
    assert.equal(before.fin?.attr('complete'), 'true', 'the start of the archive was reached');
    const flipped = await query(s, alicePhone, `${rsm('<max>2</max><before/>')}<flip-page/>`);
    assert.deepEqual(flipped.bodies, ['p5', 'p4']);
    assert.equal(flipped.fin?.getChild('set')?.getChildText('first'), last.ids[0], 'first and last keep their meaning');
  });

  test('with, start/end, id bounds and full-text search filter the results', async () => {
    const { s, bob, alicePhone } = await world.aliceAndBob();
    const carol = await s.account('carol');
    await s.stanza('session', bob, chat(bob, 'apples for bob'), alicePhone);
    await s.stanza('session', carol, chat(carol, 'pears for carol'), alicePhone);
    await s.stanza('session', bob, chat(bob, 'more apples'), alicePhone);
    assert.deepEqual((await query(s, alicePhone, form({ with: bob }))).bodies, ['apples for bob', 'more apples']);
    assert.deepEqual((await query(s, alicePhone, form({ '{urn:xmpp:fulltext:0}fulltext': 'apples' }))).bodies, ['apples for bob', 'more apples']);
    const all = await query(s, alicePhone);
    assert.deepEqual((await query(s, alicePhone, form({ 'after-id': all.ids[0]!, 'before-id': all.ids[2]! }))).bodies, ['pears for carol']);
    assert.deepEqual((await query(s, alicePhone, form({ start: '2000-01-01T00:00:00Z', end: '2000-12-31T00:00:00Z' }))).bodies, []);
    assert.deepEqual((await query(s, alicePhone, form({ start: '2000-01-01T00:00:00Z' }))).bodies.length, 3);
  });

  test('bad queries get the stanza error the XEP names, and the actor carries on', async () => {
    const { s, alicePhone } = await world.aliceAndBob();
    assert.equal((await query(s, alicePhone, form({ color: 'red' }))).error, 'bad-request');
    assert.equal((await query(s, alicePhone, form({ start: 'yesterday' }))).error, 'bad-request');
    assert.equal((await query(s, alicePhone, form({ with: '@@' }))).error, 'bad-request');
    assert.equal((await query(s, alicePhone, rsm('<max>lots</max>'))).error, 'bad-request');
    assert.equal((await query(s, alicePhone, rsm('<after>no-such-id</after>'))).error, 'item-not-found');
    assert.equal((await query(s, alicePhone, rsm('<index>3</index>'))).error, 'feature-not-implemented');
    assert.equal((await query(s, alicePhone, '', ' to="example.com"')).error, 'service-unavailable');
    assert.equal((await query(s, alicePhone)).error, undefined);
  });

  test('preferences: never for one contact keeps them out of that archive only; roster mode needs a roster item', async () => {
    const { s, bob, edge, alicePhone } = await world.aliceAndBob();
    const bobPhone = await s.online(bob, 'phone', edge);
    s.forget();
    await s.stanza('session', bob, `<iq type="set" id="p1"><prefs xmlns="${MAM}" default="always"><always/><never><jid>${alicePhone.jid}</jid></never></prefs></iq>`, bobPhone);
    const set = s.received(bobPhone).find((e) => e.is('iq'))!;
    assert.equal(set.attr('type'), 'result');
    assert.deepEqual(set.getChild('prefs', MAM)!.getChild('never')!.getChildren('jid').map((j) => j.text()), [alicePhone.bare], 'kept as a bare JID');
    await s.stanza('session', bob, chat(bob, 'not kept by bob'), alicePhone);
    assert.equal(s.received(bobPhone).find((e) => e.is('message'))?.getChild('stanza-id', 'urn:xmpp:sid:0'), undefined, 'no stanza-id without an archive entry');
    assert.deepEqual((await query(s, bobPhone)).bodies, []);
    assert.deepEqual((await query(s, alicePhone)).bodies, ['not kept by bob']);
    s.forget();
    await s.stanza('session', bob, `<iq type="set" id="p2"><prefs xmlns="${MAM}" default="roster"/></iq>`, bobPhone);
    await s.stanza('session', bob, chat(bob, 'stranger'), alicePhone);
    assert.deepEqual((await query(s, bobPhone)).bodies, []);
    s.forget();
    await s.stanza('session', bob, `<iq type="get" id="p3"><prefs xmlns="${MAM}"/></iq>`, bobPhone);
    assert.equal(s.received(bobPhone).find((e) => e.is('iq'))!.getChild('prefs', MAM)!.attr('default'), 'roster');
    s.forget();
    await s.stanza('session', bob, `<iq type="set" id="p4"><prefs xmlns="${MAM}" default="sometimes"/></iq>`, bobPhone);
    assert.equal(errorCondition(s.received(bobPhone).find((e) => e.is('iq'))!), 'bad-request');
  });

  test('a retraction tombstones the message (and its correction) in both archives and is archived itself', async () => {
    const { s, bob, edge, alicePhone } = await world.aliceAndBob();
    const bobPhone = await s.online(bob, 'phone', edge);
    await s.stanza('session', bob, chat(bob, 'oops', '<origin-id xmlns="urn:xmpp:sid:0" id="o-1"/>'), alicePhone);
    await s.stanza('session', bob, chat(bob, 'oops, fixed', '<replace xmlns="urn:xmpp:message-correct:0" id="o-1"/>'), alicePhone);
    await s.stanza('session', bob, chat(bob, 'keep me', '<origin-id xmlns="urn:xmpp:sid:0" id="o-keep"/>'), alicePhone);
    await s.stanza(
      'session',
      bob,
      `<message type="chat" to="${bob}" id="r-1"><retract xmlns="urn:xmpp:message-retract:1" id="o-1"/><fallback xmlns="urn:xmpp:fallback:0" for="urn:xmpp:message-retract:1"/><body>retracted</body></message>`,
      alicePhone,
    );
    for (const who of [bobPhone, alicePhone]) {
      const page = await query(s, who);
      assert.deepEqual(page.bodies, [undefined, undefined, 'keep me', 'retracted']);
      const first = page.results[0]!.getChild('result', MAM)!.getChild('forwarded', 'urn:xmpp:forward:0')!.getChild('message')!;
      assert.ok(first.getChild('retracted', 'urn:xmpp:message-retract:1')?.attr('stamp'));
      assert.equal(first.getChild('origin-id', 'urn:xmpp:sid:0')?.attr('id'), 'o-1');
    }
    // Bob cannot retract Alice's message in his own archive by naming its id.
    await s.stanza('session', alicePhone.bare, `<message type="chat" to="${alicePhone.bare}" id="r-2"><retract xmlns="urn:xmpp:message-retract:1" id="o-keep"/><body>x</body></message>`, bobPhone);
    assert.equal((await query(s, bobPhone)).bodies[2], 'keep me');
  });

  test('the IQ form lists the fields, full-text search included', async () => {
    const { s, alicePhone } = await world.aliceAndBob();
    s.forget();
    await s.stanza('session', alicePhone.bare, `<iq type="get" id="f1"><query xmlns="${MAM}"/></iq>`, alicePhone);
    const vars = s.received(alicePhone)[0]!.getChild('query', MAM)!.getChild('x', 'jabber:x:data')!.getChildren('field').map((f) => f.attr('var'));
    assert.deepEqual(vars, ['FORM_TYPE', 'with', 'start', 'end', 'before-id', 'after-id', 'ids', '{urn:xmpp:fulltext:0}fulltext']);
  });
});

describe('archive rules', () => {
  test('what is archivable', () => {
    const yes = ['<message type="chat"><body>x</body></message>', '<message><body>x</body></message>', '<message type="chat"><store xmlns="urn:xmpp:hints"/></message>'];
    const no = [
      '<message type="groupchat"><body>x</body></message>',
      '<message type="headline"><body>x</body></message>',
      '<message type="error"><body>x</body></message>',
      '<message type="chat"><composing xmlns="http://jabber.org/protocol/chatstates"/></message>',
      '<message type="chat"><body>x</body><no-store xmlns="urn:xmpp:hints"/></message>',
    ];
    for (const m of yes) assert.equal(archivable(parseFragment(m)), true, m);
    for (const m of no) assert.equal(archivable(parseFragment(m)), false, m);
  });

  test('a tombstone keeps the envelope and origin-id, and nothing of the content', () => {
    const t = parseFragment(tombstone('<message xmlns="jabber:client" from="a@x/1" to="b@x" type="chat" id="i"><body>secret</body><origin-id xmlns="urn:xmpp:sid:0" id="o"/><html>secret</html></message>', new Date(0)));
    assert.equal(t.attr('from'), 'a@x/1');
    assert.equal(t.getChildText('body'), undefined);
    assert.equal(t.toString().includes('secret'), false);
    assert.equal(t.getChild('retracted', 'urn:xmpp:message-retract:1')?.attr('stamp'), '1970-01-01T00:00:00.000Z');
  });

  test('max is cut to the largest page; an empty before asks for the last page', () => {
    const p = parseQuery(parseFragment(`<query xmlns="${MAM}"><set xmlns="http://jabber.org/protocol/rsm"><max>9999</max><before/></set></query>`), { defaultPage: 10, maxPage: 100 });
    assert.ok(p.ok);
    assert.equal(p.q.max, 100);
    assert.equal(p.q.direction, 'backward');
    assert.equal(p.q.before, undefined);
  });
});

describe('retention', () => {
  test('the periodic sweep deletes messages older than the retention and keeps newer ones', async () => {
    const { createStore, defaultMigrationsDir, migrate, openPglite } = await import('@parley/store');
    const { messageArchive } = await import('./index.ts');
    const store = createStore(await openPglite(null, { migratedFrom: defaultMigrationsDir }));
    try {
      await migrate(store.sql);
      const now = new Date('2026-06-01T00:00:00Z');
      const entry = (ts: string, body: string) => ({ owner: 'keep@example.com', with: 'x@example.com', peer: 'x@example.com/a', dir: 'in' as const, ts: new Date(ts), msgId: null, originId: null, replaces: null, body, stanza: `<message><body>${body}</body></message>` });
      await store.archive.append([entry('2026-04-01T00:00:00Z', 'too old'), entry('2026-05-30T00:00:00Z', 'recent')]);
      // A room's archive (owner = room JID, XEP-0313 §5.1.2) is swept by the same task.
      await store.archive.append([{ ...entry('2026-04-02T00:00:00Z', 'old in the room'), owner: 'tea@conference.example.com' }]);
      const { Registry } = await import('prom-client');
      const registry = new Registry();
      const mod = messageArchive({ defaultMode: 'always', retentionDays: 30, sweepEveryMs: 60_000, defaultPage: 10, maxPage: 10, now: () => now, registry });
      const [task] = mod.session?.periodic ?? [];
      assert.equal(task?.everyMs, 60_000);
      await task!.run({ store } as never);
      const page = await store.archive.query({ owner: 'keep@example.com', max: 10, direction: 'forward' });
      assert.ok(page !== 'item-not-found');
      assert.deepEqual(page.items.map((i) => i.stanza), ['<message><body>recent</body></message>']);
      const room = await store.archive.query({ owner: 'tea@conference.example.com', max: 10, direction: 'forward' });
      assert.ok(room !== 'item-not-found');
      assert.deepEqual(room.items, [], 'the room archive is swept too');
      assert.equal((await registry.getSingleMetric('parley_archive_swept_total')?.get())?.values[0]?.value, 2, 'counted in the metrics');
      assert.deepEqual(messageArchive({ defaultMode: 'always', retentionDays: 0, sweepEveryMs: 1, defaultPage: 1, maxPage: 1 }).session?.periodic, [], 'no sweep when kept forever');
    } finally {
      await store.close();
    }
  });
});
