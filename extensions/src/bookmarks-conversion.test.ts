// Unit tests of XEP-0411 bookmarks conversion between private XML storage (XEP-0049) and PEP
// (storage:bookmarks and XEP-0402's urn:xmpp:bookmarks:1), through loadModules on a PGlite store:
// the private-storage module delegates storage:bookmarks to the pep module in the presence actor.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type IqOutcome, loadModules, type LoadedModules, type PresenceIqRequest } from '@parley/ext';
import { parseJid } from '@parley/jid';
import type { ResourceEntry } from '@parley/location';
import { createStore, defaultMigrationsDir, migrate, openPglite, type Store } from '@parley/store';
import { type Element, parseFragment, xml } from '@parley/xml';
import { pep } from './pep/index.ts';
import { NS_PRIVATE, privateStorage } from './private-storage.ts';

const DOMAIN = 'example.com';
const OWNER = 'ann@example.com';
let store: Store;
let loaded: LoadedModules;
/** Events published to the owner's resources: [recipient jids, stanza]. */
const sent: Array<{ to: string[]; stanza: Element }> = [];
/** The owner's other resource, whose (known) caps say +notify for both bookmark nodes (XEP-0163 §4.3.1). */
const phone: ResourceEntry = {
  jid: `${OWNER}/phone`,
  edge: 'e1',
  conn: 'c-phone',
  priority: 0,
  available: true,
  presence: "<presence xmlns='jabber:client'><c xmlns='http://jabber.org/protocol/caps' hash='sha-1' node='urn:test' ver='bookmarks-test='/></presence>",
};

before(async () => {
  const sql = await openPglite(null, { migratedFrom: defaultMigrationsDir });
  await migrate(sql);
  store = createStore(sql);
  const p = pep({ limits: { maxItems: 50, maxItemBytes: 2000, maxNodes: 10 } });
  loaded = loadModules([privateStorage({ maxBytes: 4000, delegates: [p.privateBookmarks] }), p]);
  await store.pep.capsPut('sha-1', 'bookmarks-test=', ['storage:bookmarks+notify', 'urn:xmpp:bookmarks:1+notify']);
});
after(() => store?.close());

const env = () =>
  ({
    store,
    domain: DOMAIN,
    location: {
      resources: async (bare: string) => (bare === OWNER ? [phone] : []),
      resourcesOf: async (bares: string[]) => new Map(bares.map((b) => [b, b === OWNER ? [phone] : []])),
    },
    publish: (to: ResourceEntry[], x: string) => sent.push({ to: to.map((r) => r.jid), stanza: parseFragment(x) }),
  }) as never;

/** An owner's IQ as the presence actor runs it, `after` included. */
async function owner(type: 'get' | 'set', payload: Element): Promise<IqOutcome> {
  const handler = loaded.presence.iq.find('server', type, payload.getNS(), payload.name);
  assert.ok(handler, `a presence handler for ${type} ${payload.name}`);
  const ctx: PresenceIqRequest = {
    domain: DOMAIN,
    from: parseJid(`${OWNER}/laptop`),
    to: parseJid(OWNER),
    payload,
    iq: xml('iq', { type }, payload),
    env: env(),
    key: OWNER,
    origin: { edge: 'e1', conn: 'c-laptop' } as never,
    roster: { version: 0, items: () => [], get: () => undefined, save: async () => {}, remove: async () => {} },
    presence: {} as never,
  };
  const out = await handler.handle(ctx);
  if ('result' in out) await out.after?.();
  return out;
}
const res = (o: IqOutcome) => {
  if (!('result' in o)) assert.fail(`expected a result, got ${o.error}`);
  return o.result;
};
const priv = (...c: Element[]) => xml('query', { xmlns: NS_PRIVATE }, ...c);
const storage = (...rooms: Array<{ jid: string; name?: string; autojoin?: boolean; nick?: string }>) =>
  xml(
    'storage',
    { xmlns: 'storage:bookmarks' },
    ...rooms.map((r) => xml('conference', { jid: r.jid, name: r.name, autojoin: r.autojoin ? 'true' : 'false' }, r.nick ? xml('nick', {}, r.nick) : undefined)),
  );
const privateRooms = async () => (res(await owner('get', priv(xml('storage', { xmlns: 'storage:bookmarks' }))))[0]!.getChild('storage', 'storage:bookmarks')?.getChildren('conference') ?? []).map((c) => c.attr('jid'));
const pepItems = async (node: string) => (await store.pep.items(OWNER, node)).map((i) => i.id).sort();
const events = (node: string) => sent.filter((s) => s.stanza.getChild('event')?.getChild('items')?.attr('node') === node);

describe('XEP-0411 bookmarks conversion with private XML storage', () => {
  test('the features are advertised on the account (XEP-0411 §2, XEP-0402 #compat)', () => {
    for (const on of ['own-account', 'account'] as const) {
      const { features } = loaded.disco(on);
      assert.ok(features.includes('urn:xmpp:bookmarks-conversion:0'), on);
      assert.ok(features.includes('urn:xmpp:bookmarks:1#compat'), on);
      assert.equal(features.filter((f) => f === 'urn:xmpp:bookmarks:1#compat').length, 1, 'no duplicate feature');
    }
  });

  test('nothing stored: the empty storage element (XEP-0049 §2.3)', async () => {
    assert.deepEqual(await privateRooms(), []);
    assert.equal(res(await owner('get', priv(xml('storage', { xmlns: 'storage:bookmarks' }))))[0]!.toString(), "<query xmlns='jabber:iq:private'><storage xmlns='storage:bookmarks'/></query>");
  });

  test('a private XML set publishes to PEP: both nodes hold it and the subscribed resource hears of both (§3)', async () => {
    sent.length = 0;
    res(await owner('set', priv(storage({ jid: 'council@conference.example.com', name: 'Council', autojoin: true, nick: 'ann' }, { jid: 'tea@conference.example.com' }))));
    assert.deepEqual(await pepItems('storage:bookmarks'), ['current']);
    assert.deepEqual(await pepItems('urn:xmpp:bookmarks:1'), ['council@conference.example.com', 'tea@conference.example.com']);
    const legacy = events('storage:bookmarks');
    assert.equal(legacy.length, 1);
    assert.deepEqual(legacy[0]!.to, [phone.jid]);
    const native = events('urn:xmpp:bookmarks:1').map((e) => e.stanza.getChild('event')!.getChild('items')!.getChild('item')!);
    assert.deepEqual(native.map((i) => i.attr('id')).sort(), ['council@conference.example.com', 'tea@conference.example.com']);
    const council = native.find((i) => i.attr('id') === 'council@conference.example.com')!.getChild('conference', 'urn:xmpp:bookmarks:1')!;
    assert.deepEqual([council.attr('name'), council.attr('autojoin'), council.getChildText('nick')], ['Council', 'true', 'ann']);
    // Nothing went into the private XML table: PEP is the one copy.
    assert.equal(await store.privateStorage.get(OWNER, 'storage:bookmarks'), null);
    // The nodes are whitelist: the owner's alone (XEP-0411 §5).
    assert.equal((await store.pep.getNode(OWNER, 'storage:bookmarks'))?.config.access_model, 'whitelist');
    // The XEP-0402 node it made takes a XEP-0402 client's publish-options (§3) without precondition-not-met.
    const made = await store.pep.getNode(OWNER, 'urn:xmpp:bookmarks:1');
    assert.deepEqual([made?.config.access_model, made?.config.send_last_published_item, made?.config.max_items], ['whitelist', 'never', 'max']);
  });

  test('a private XML get answers from PEP, and a XEP-0402 publish and retract are visible to it', async () => {
    assert.deepEqual(await privateRooms(), ['council@conference.example.com', 'tea@conference.example.com']);
    const publish = xml(
      'pubsub',
      { xmlns: 'http://jabber.org/protocol/pubsub' },
      xml('publish', { node: 'urn:xmpp:bookmarks:1' }, xml('item', { id: 'play@conference.example.com' }, xml('conference', { xmlns: 'urn:xmpp:bookmarks:1', name: 'The Play', autojoin: 'true' }))),
    );
    res(await owner('set', publish));
    assert.deepEqual((await privateRooms()).sort(), ['council@conference.example.com', 'play@conference.example.com', 'tea@conference.example.com']);
    const retract = xml('pubsub', { xmlns: 'http://jabber.org/protocol/pubsub' }, xml('retract', { node: 'urn:xmpp:bookmarks:1', notify: 'true' }, xml('item', { id: 'tea@conference.example.com' })));
    res(await owner('set', retract));
    assert.deepEqual((await privateRooms()).sort(), ['council@conference.example.com', 'play@conference.example.com']);
  });

  test('a private XML set that drops a room retracts it from XEP-0402, with a retract event', async () => {
    sent.length = 0;
    res(await owner('set', priv(storage({ jid: 'play@conference.example.com', name: 'The Play', autojoin: true }))));
    assert.deepEqual(await pepItems('urn:xmpp:bookmarks:1'), ['play@conference.example.com']);
    const retracts = events('urn:xmpp:bookmarks:1').flatMap((e) => e.stanza.getChild('event')!.getChild('items')!.getChildren('retract').map((r) => r.attr('id')));
    assert.deepEqual(retracts, ['council@conference.example.com']);
    // Unchanged rooms are not republished.
    assert.equal(events('urn:xmpp:bookmarks:1').filter((e) => e.stanza.getChild('event')!.getChild('items')!.getChild('item')).length, 0);
  });

  test('XEP-0048 url bookmarks survive a XEP-0402 change; an opened node is put back to whitelist', async () => {
    const withUrl = storage({ jid: 'play@conference.example.com', name: 'The Play', autojoin: true });
    withUrl.append(xml('url', { name: 'Docs', url: 'https://example.com/docs' }));
    res(await owner('set', priv(withUrl)));
    const node = (await store.pep.getNode(OWNER, 'urn:xmpp:bookmarks:1'))!;
    await store.pep.configureNode(OWNER, 'urn:xmpp:bookmarks:1', { ...node.config, access_model: 'open' }, 50);
    const publish = xml(
      'pubsub',
      { xmlns: 'http://jabber.org/protocol/pubsub' },
      xml('publish', { node: 'urn:xmpp:bookmarks:1' }, xml('item', { id: 'new@conference.example.com' }, xml('conference', { xmlns: 'urn:xmpp:bookmarks:1' }))),
    );
    res(await owner('set', publish));
    const got = res(await owner('get', priv(xml('storage', { xmlns: 'storage:bookmarks' }))))[0]!.getChild('storage', 'storage:bookmarks')!;
    assert.equal(got.getChild('url')?.attr('url'), 'https://example.com/docs');
    assert.deepEqual(got.getChildren('conference').map((c) => c.attr('jid')).sort(), ['new@conference.example.com', 'play@conference.example.com']);
    res(await owner('set', priv(storage({ jid: 'play@conference.example.com' }))));
    assert.equal((await store.pep.getNode(OWNER, 'urn:xmpp:bookmarks:1'))?.config.access_model, 'whitelist');
  });

  test('bad input: a foreign element in storage:bookmarks and oversize bookmarks are refused; other namespaces stay in private storage', async () => {
    const bad = await owner('set', priv(xml('notstorage', { xmlns: 'storage:bookmarks' })));
    assert.equal('error' in bad && bad.error, 'bad-request');
    const big = storage(...Array.from({ length: 40 }, (_, i) => ({ jid: `room${i}@conference.example.com`, name: 'n'.repeat(20) })));
    const tooBig = await owner('set', priv(big));
    assert.equal('error' in tooBig && tooBig.error, 'not-acceptable');
    res(await owner('set', priv(xml('prefs', { xmlns: 'urn:x:prefs' }, 'v'))));
    assert.equal(await store.privateStorage.get(OWNER, 'urn:x:prefs'), "<prefs xmlns='urn:x:prefs'>v</prefs>");
    assert.equal(res(await owner('get', priv(xml('prefs', { xmlns: 'urn:x:prefs' }))))[0]!.getChildText('prefs'), 'v');
  });

  test('bookmarks stored in private XML before the conversion are still answered until PEP holds some', async () => {
    const other = 'old@example.com';
    await store.privateStorage.set(other, 'storage:bookmarks', storage({ jid: 'legacy@conference.example.com' }).toString());
    const handler = loaded.presence.iq.find('server', 'get', NS_PRIVATE, 'query')!;
    const payload = priv(xml('storage', { xmlns: 'storage:bookmarks' }));
    const out = await handler.handle({ domain: DOMAIN, from: parseJid(`${other}/x`), to: parseJid(other), payload, iq: xml('iq', { type: 'get' }, payload), env: env(), key: other, origin: {} as never, roster: { items: () => [], get: () => undefined } as never, presence: {} as never });
    assert.equal(res(out)[0]!.getChild('storage', 'storage:bookmarks')?.getChild('conference')?.attr('jid'), 'legacy@conference.example.com');
  });
});
