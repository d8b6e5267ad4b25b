// XEP-0411 bookmarks conversion with real clients: slixmpp keeping XEP-0048 bookmarks in private
// XML storage (XEP-0049, its xep_0048 plugin) and xmpp.js using PEP native bookmarks (XEP-0402) on
// the same account see the same rooms, and the PEP client is notified when the legacy one stores.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { castPerFile } from './harness/cast.ts';
import { advertiseCaps, eventItems, eventsIn, items, NS_PUBSUB, nextEvent, publish } from './harness/pep.ts';
import { slixBookmarks } from './harness/slix-bookmarks.ts';
import { xml } from './harness/xmppjs.ts';

const T = { timeout: 40_000 };
const cast = castPerFile();
const B2 = 'urn:xmpp:bookmarks:1';

describe('bookmarks conversion (XEP-0411) between private XML and PEP', () => {
  test('a private-XML client and a XEP-0402 client of one account see each other’s bookmarks; the PEP client is notified', T, async () => {
    const a = await cast.account('bcann');
    const pepClient = await cast.xmppjs(a, 'modern');
    await advertiseCaps(pepClient, [`${B2}+notify`]);
    const legacy = slixBookmarks(await cast.slix(a));

    // §2: the feature on the account.
    const info = await pepClient.iq(xml('iq', { type: 'get', to: a.jid }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })));
    const features = info.getChild('query')?.getChildren('feature').map((f) => f.attrs.var) ?? [];
    assert.ok(features.includes('urn:xmpp:bookmarks-conversion:0'));
    assert.ok(features.includes(`${B2}#compat`));

    // Nothing yet: the empty storage element (XEP-0049 §2.3).
    assert.deepEqual(await legacy.getPrivate(), []);

    // §3: the legacy client stores over private XML; the PEP client gets the notification.
    await legacy.setPrivate([{ jid: 'council@conference.example.org', name: 'Council', autojoin: true, nick: 'ann' }]);
    const ev = await nextEvent(pepClient, a.jid, B2, 'the converted bookmark');
    const item = eventItems(ev)?.getChild('item');
    assert.equal(item?.attrs.id, 'council@conference.example.org');
    const conf = item?.getChild('conference', B2);
    assert.deepEqual([conf?.attrs.name, conf?.attrs.autojoin, conf?.getChildText('nick')], ['Council', 'true', 'ann']);
    assert.deepEqual((await items(pepClient, undefined, B2)).map((i) => i.attrs.id), ['council@conference.example.org']);

    // A XEP-0402 publish (with the publish-options of XEP-0402 §3) is visible to the private-XML get.
    await publish(pepClient, B2, 'play@conference.example.org', xml('conference', { xmlns: B2, name: 'The Play', autojoin: 'false' }), {
      'pubsub#persist_items': 'true',
      'pubsub#max_items': 'max',
      'pubsub#send_last_published_item': 'never',
      'pubsub#access_model': 'whitelist',
    });
    const rooms = await legacy.getPrivate();
    assert.deepEqual(rooms.map((r) => r.jid).sort(), ['council@conference.example.org', 'play@conference.example.org']);
    assert.equal(rooms.find((r) => r.jid === 'play@conference.example.org')?.name, 'The Play');

    // A XEP-0402 retraction too.
    await pepClient.iq(xml('iq', { type: 'set' }, xml('pubsub', { xmlns: NS_PUBSUB }, xml('retract', { node: B2, notify: 'true' }, xml('item', { id: 'council@conference.example.org' })))));
    assert.deepEqual((await legacy.getPrivate()).map((r) => r.jid), ['play@conference.example.org']);

    // The legacy client drops the remaining room: the PEP client sees it retracted.
    eventsIn(pepClient, B2);
    await legacy.setPrivate([]);
    const gone = await pepClient.next((e) => e.is('message') && eventItems(e)?.getChild('retract')?.attrs.id === 'play@conference.example.org', 'the retraction');
    assert.ok(gone);
    assert.deepEqual(await items(pepClient, undefined, B2), []);
    assert.deepEqual(await legacy.getPrivate(), []);
  });

  test('another account cannot read the converted bookmarks, neither over private XML nor over PEP', T, async () => {
    const [a, b] = await Promise.all([cast.account('bcbea'), cast.account('bccid')]);
    const owner = slixBookmarks(await cast.slix(a));
    await owner.setPrivate([{ jid: 'secret@conference.example.org', name: 'Secret' }]);
    const other = await cast.xmppjs(b);
    const refusal = async (p: Promise<unknown>) => {
      try {
        await p;
        return 'result';
      } catch (e) {
        return (e as { condition?: string }).condition ?? String(e);
      }
    };
    assert.equal(await refusal(other.iq(xml('iq', { type: 'get', to: a.jid }, xml('query', { xmlns: 'jabber:iq:private' }, xml('storage', { xmlns: 'storage:bookmarks' }))))), 'forbidden');
    assert.equal(await refusal(items(other, a.jid, B2)), 'not-allowed');
    assert.equal(await refusal(items(other, a.jid, 'storage:bookmarks')), 'not-allowed');
  });
});
