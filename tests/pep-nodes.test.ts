// What clients build on PEP, with xmpp.js: OMEMO device lists and bundles (XEP-0384, the XEP's own
// example stanzas), bookmarks (XEP-0402, converted per XEP-0411), avatars (XEP-0084), nickname
// (XEP-0172), vCard4 (XEP-0292), and the account's disco#info (XEP-0163 §7).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { castPerFile } from './harness/cast.ts';
import { advertiseCaps, eventItems, eventsIn, iqError, items, nextEvent, publish, subscribe } from './harness/pep.ts';
import { type XmppJsClient, type XmlElement, xml } from './harness/xmppjs.ts';

const T = { timeout: 30_000 };
const cast = castPerFile();

/** Sends a stanza as written (an example of a XEP) and waits for the IQ answer with its id. */
async function rawIq(c: XmppJsClient, text: string): Promise<XmlElement> {
  const id = /id='([^']+)'/.exec(text)?.[1];
  // xmpp.js writes a string as is (the harness's typings do not declare write).
  await (c.xmpp as unknown as { write(s: string): Promise<void> }).write(text.replace(/\n\s*/g, ''));
  return c.next((e) => e.is('iq') && e.attrs.id === id && (e.attrs.type === 'result' || e.attrs.type === 'error'), `the answer to ${id}`);
}

describe('PEP nodes of XEP-0384, XEP-0402, XEP-0084, XEP-0172 and XEP-0292 with xmpp.js', () => {
  test('OMEMO: the device list and bundles of the XEP-0384 examples, fetched by a stranger, updates to a subscribed contact', T, async () => {
    const [j, r, s] = await Promise.all([cast.account('juliet'), cast.account('romeo'), cast.account('stranger')]);
    const juliet = await cast.xmppjs(j);
    const romeo = await cast.xmppjs(r);
    const stranger = await cast.xmppjs(s);
    await advertiseCaps(juliet, ['urn:xmpp:omemo:2:devices+notify']);
    await advertiseCaps(romeo, ['urn:xmpp:omemo:2:devices+notify']);
    await subscribe(romeo, r.jid, juliet, j.jid);

    // XEP-0384 §5.3.1 "Adding the own device id to the list" (open access through publish-options).
    const announced = await rawIq(
      juliet,
      `<iq from='${j.jid}' type='set' id='announce1'>
        <pubsub xmlns='http://jabber.org/protocol/pubsub'>
          <publish node='urn:xmpp:omemo:2:devices'>
            <item id='current'>
              <devices xmlns='urn:xmpp:omemo:2'>
                <device id='12345' />
                <device id='4223' />
                <device id='31415' />
              </devices>
            </item>
          </publish>
          <publish-options>
            <x xmlns='jabber:x:data' type='submit'>
              <field var='FORM_TYPE' type='hidden'>
                <value>http://jabber.org/protocol/pubsub#publish-options</value>
              </field>
              <field var='pubsub#access_model'>
                <value>open</value>
              </field>
            </x>
          </publish-options>
        </pubsub>
      </iq>`,
    );
    assert.equal(announced.attrs.type, 'result');
    // §5.2 "Devicelist update received by subscribed clients".
    const update = await nextEvent(romeo, j.jid, 'urn:xmpp:omemo:2:devices', 'the device list update');
    assert.equal(update.attrs.type, 'headline');
    const item = eventItems(update)?.getChild('item');
    assert.equal(item?.attrs.id, 'current');
    assert.deepEqual(item?.getChild('devices', 'urn:xmpp:omemo:2')?.getChildren('device').map((d) => d.attrs.id), ['12345', '4223', '31415']);
    await nextEvent(juliet, j.jid, 'urn:xmpp:omemo:2:devices', 'her own device list, to check she is in it');

    // §5.3.2 "Publishing bundle information with an open access model" (max_items max).
    const bundle = await rawIq(
      juliet,
      `<iq from='${j.jid}' type='set' id='annouce2'>
        <pubsub xmlns='http://jabber.org/protocol/pubsub'>
          <publish node='urn:xmpp:omemo:2:bundles'>
            <item id='31415'>
              <bundle xmlns='urn:xmpp:omemo:2'>
                <spk id='0'>BASE64ENCODED</spk>
                <spks>BASE64ENCODED</spks>
                <ik>BASE64ENCODED</ik>
                <prekeys>
                  <pk id='0'>BASE64ENCODED</pk>
                  <pk id='1'>BASE64ENCODED</pk>
                  <pk id='99'>BASE64ENCODED</pk>
                </prekeys>
              </bundle>
            </item>
          </publish>
          <publish-options>
            <x xmlns='jabber:x:data' type='submit'>
              <field var='FORM_TYPE' type='hidden'>
                <value>http://jabber.org/protocol/pubsub#publish-options</value>
              </field>
              <field var='pubsub#max_items'>
                <value>max</value>
              </field>
              <field var='pubsub#access_model'>
                <value>open</value>
              </field>
            </x>
          </publish-options>
        </pubsub>
      </iq>`,
    );
    assert.equal(bundle.attrs.type, 'result');
    // A second device's bundle is a second item of the same node (max_items max).
    await publish(juliet, 'urn:xmpp:omemo:2:bundles', '4223', xml('bundle', { xmlns: 'urn:xmpp:omemo:2' }, xml('ik', {}, 'OTHER')), { 'pubsub#max_items': 'max', 'pubsub#access_model': 'open' });

    // §5.4 "Fetching a device's bundle information", by someone without a presence subscription.
    const fetched = await rawIq(
      stranger,
      `<iq type='get' from='${s.jid}' to='${j.jid}' id='fetch1'>
        <pubsub xmlns='http://jabber.org/protocol/pubsub'>
          <items node='urn:xmpp:omemo:2:bundles'>
            <item id='31415'/>
          </items>
        </pubsub>
      </iq>`,
    );
    assert.equal(fetched.attrs.type, 'result');
    const got = fetched.getChild('pubsub')?.getChild('items')?.getChildren('item') ?? [];
    assert.deepEqual(got.map((i) => i.attrs.id), ['31415']);
    const b = got[0]?.getChild('bundle', 'urn:xmpp:omemo:2');
    assert.deepEqual([b?.getChildText('spks'), b?.getChild('prekeys')?.getChildren('pk').length], ['BASE64ENCODED', 3]);
    assert.deepEqual((await items(stranger, j.jid, 'urn:xmpp:omemo:2:devices'))[0]?.getChild('devices')?.getChildren('device').length, 3);

    // §5.3.2: a node configured otherwise makes the publish fail until the client reconfigures it.
    await publish(stranger, 'urn:xmpp:omemo:2:bundles', '1', xml('bundle', { xmlns: 'urn:xmpp:omemo:2' }));
    assert.deepEqual(await iqError(publish(stranger, 'urn:xmpp:omemo:2:bundles', '2', xml('bundle', { xmlns: 'urn:xmpp:omemo:2' }), { 'pubsub#max_items': 'max' })), {
      condition: 'conflict',
      app: 'precondition-not-met',
    });
    await stranger.iq(
      xml(
        'iq',
        { type: 'set' },
        xml(
          'pubsub',
          { xmlns: 'http://jabber.org/protocol/pubsub#owner' },
          xml(
            'configure',
            { node: 'urn:xmpp:omemo:2:bundles' },
            xml(
              'x',
              { xmlns: 'jabber:x:data', type: 'submit' },
              xml('field', { var: 'FORM_TYPE', type: 'hidden' }, xml('value', {}, 'http://jabber.org/protocol/pubsub#node_config')),
              xml('field', { var: 'pubsub#max_items' }, xml('value', {}, 'max')),
            ),
          ),
        ),
      ),
    );
    await publish(stranger, 'urn:xmpp:omemo:2:bundles', '2', xml('bundle', { xmlns: 'urn:xmpp:omemo:2' }), { 'pubsub#max_items': 'max' });
    assert.deepEqual((await items(stranger, undefined, 'urn:xmpp:omemo:2:bundles')).map((i) => i.attrs.id), ['2', '1']);
  });

  test('bookmarks: private to the owner, announced to her other resource, and mirrored into storage:bookmarks (XEP-0411)', T, async () => {
    const [a, b] = await Promise.all([cast.account('bkalice'), cast.account('bkbob')]);
    const laptop = await cast.xmppjs(a, 'laptop');
    const phone = await cast.xmppjs(a, 'phone');
    const bob = await cast.xmppjs(b);
    await advertiseCaps(laptop, ['urn:xmpp:bookmarks:1+notify']);
    await advertiseCaps(phone, ['urn:xmpp:bookmarks:1+notify', 'storage:bookmarks+notify']);
    await advertiseCaps(bob, ['urn:xmpp:bookmarks:1+notify']);
    await subscribe(bob, b.jid, laptop, a.jid);

    // XEP-0402 §5.3 adding a bookmark, with the publish-options of §3.
    const conference = xml('conference', { xmlns: 'urn:xmpp:bookmarks:1', name: 'The Play', autojoin: 'true' }, xml('nick', {}, 'JC'));
    await publish(laptop, 'urn:xmpp:bookmarks:1', 'theplay@conference.shakespeare.lit', conference, {
      'pubsub#persist_items': 'true',
      'pubsub#max_items': 'max',
      'pubsub#send_last_published_item': 'never',
      'pubsub#access_model': 'whitelist',
    });
    const ev = await nextEvent(phone, a.jid, 'urn:xmpp:bookmarks:1', 'the bookmark on the other resource');
    assert.equal(eventItems(ev)?.getChild('item')?.getChild('conference')?.attrs.name, 'The Play');
    const legacy = await nextEvent(phone, a.jid, 'storage:bookmarks', 'the XEP-0048 view of it');
    const room = eventItems(legacy)?.getChild('item')?.getChild('storage', 'storage:bookmarks')?.getChild('conference');
    assert.deepEqual([room?.attrs.jid, room?.attrs.autojoin, room?.getChildText('nick')], ['theplay@conference.shakespeare.lit', 'true', 'JC']);
    await laptop.rosterGet();
    await bob.ping();
    assert.deepEqual(eventsIn(bob, 'urn:xmpp:bookmarks:1'), []);
    assert.deepEqual(await iqError(items(bob, a.jid, 'urn:xmpp:bookmarks:1')), { condition: 'not-allowed', app: 'closed-node' });

    // A XEP-0048 client writes the legacy node: the XEP-0402 node follows (XEP-0411 §3).
    await publish(
      phone,
      'storage:bookmarks',
      'current',
      xml('storage', { xmlns: 'storage:bookmarks' }, xml('conference', { jid: 'council@conference.example', name: 'Council', autojoin: 'false' })),
      { 'pubsub#persist_items': 'true', 'pubsub#access_model': 'whitelist' },
    );
    const added = await laptop.next((e) => e.is('message') && eventItems(e)?.attrs.node === 'urn:xmpp:bookmarks:1' && eventItems(e)?.getChild('item')?.attrs.id === 'council@conference.example', 'the converted bookmark');
    assert.equal(eventItems(added)?.getChild('item')?.getChild('conference')?.attrs.name, 'Council');
    const gone = await laptop.next((e) => e.is('message') && eventItems(e)?.getChild('retract')?.attrs.id === 'theplay@conference.shakespeare.lit', 'the dropped bookmark');
    assert.ok(gone);
    assert.deepEqual((await items(laptop, undefined, 'urn:xmpp:bookmarks:1')).map((i) => i.attrs.id), ['council@conference.example']);
  });

  test('avatar metadata reaches a contact who fetches the data by id; nickname and vCard4 follow the presence access model', T, async () => {
    const [a, b, c] = await Promise.all([cast.account('avalice'), cast.account('avbob'), cast.account('avcarol')]);
    const alice = await cast.xmppjs(a);
    const bob = await cast.xmppjs(b);
    const carol = await cast.xmppjs(c);
    await alice.send(xml('presence'));
    await advertiseCaps(bob, ['urn:xmpp:avatar:metadata+notify', 'http://jabber.org/protocol/nick+notify']);
    await carol.send(xml('presence'));
    await subscribe(bob, b.jid, alice, a.jid);

    // XEP-0084 §4.1-4.2: data first, then metadata naming it by its SHA-1.
    const png = Buffer.from('not really a png').toString('base64');
    const id = '1d0b1b2cbc4e0d9e8b6b3a5f0f6d7c8e9a0b1c2d';
    await publish(alice, 'urn:xmpp:avatar:data', id, xml('data', { xmlns: 'urn:xmpp:avatar:data' }, png));
    await publish(alice, 'urn:xmpp:avatar:metadata', id, xml('metadata', { xmlns: 'urn:xmpp:avatar:metadata' }, xml('info', { bytes: '16', id, type: 'image/png', height: '64', width: '64' })));
    const meta = await nextEvent(bob, a.jid, 'urn:xmpp:avatar:metadata', 'the avatar metadata');
    const info = eventItems(meta)?.getChild('item')?.getChild('metadata', 'urn:xmpp:avatar:metadata')?.getChild('info');
    assert.equal(info?.attrs.id, id);
    const [data] = await items(bob, a.jid, 'urn:xmpp:avatar:data', {}, [id]);
    assert.equal(data?.getChild('data', 'urn:xmpp:avatar:data')?.text(), png);

    // XEP-0172 §4.5 nickname in PEP.
    await publish(alice, 'http://jabber.org/protocol/nick', undefined, xml('nick', { xmlns: 'http://jabber.org/protocol/nick' }, 'Ali'));
    const nick = await nextEvent(bob, a.jid, 'http://jabber.org/protocol/nick', 'the nickname');
    assert.equal(eventItems(nick)?.getChild('item')?.getChildText('nick'), 'Ali');

    // XEP-0292 §3: vCard4 in the urn:xmpp:vcard4 node.
    await publish(alice, 'urn:xmpp:vcard4', 'current', xml('vcard', { xmlns: 'urn:ietf:params:xml:ns:vcard-4.0' }, xml('fn', {}, xml('text', {}, 'Alice Liddell'))));
    const [card] = await items(bob, a.jid, 'urn:xmpp:vcard4');
    assert.equal(card?.getChild('vcard', 'urn:ietf:params:xml:ns:vcard-4.0')?.getChild('fn')?.getChildText('text'), 'Alice Liddell');
    for (const node of ['urn:xmpp:vcard4', 'urn:xmpp:avatar:data', 'urn:xmpp:avatar:metadata', 'http://jabber.org/protocol/nick']) {
      assert.deepEqual(await iqError(items(carol, a.jid, node)), { condition: 'not-authorized', app: 'presence-subscription-required' }, node);
    }
  });

  test('limits: too big an item is refused with payload-too-big, and the account advertises its PEP service', T, async () => {
    const a = await cast.account('limits');
    const alice = await cast.xmppjs(a);
    const big = 'x'.repeat(140_000);
    assert.deepEqual(await iqError(publish(alice, 'urn:xmpp:test:big', 'b', xml('big', { xmlns: 'urn:xmpp:test:big' }, big))), { condition: 'not-acceptable', app: 'payload-too-big' });
    assert.deepEqual(await iqError(publish(alice, 'urn:xmpp:test:none', 'b', xml('x', { xmlns: 'urn:x' }), { 'pubsub#access_model': 'authorize' })), { condition: 'conflict', app: 'precondition-not-met' });
    // The domain is no pubsub service.
    assert.equal((await iqError(alice.iq(xml('iq', { type: 'get', to: cast.server().domain }, xml('pubsub', { xmlns: 'http://jabber.org/protocol/pubsub' }, xml('items', { node: 'x' })))))).condition, 'service-unavailable');

    const info = await alice.iq(xml('iq', { type: 'get', to: a.jid }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })));
    const q = info.getChild('query');
    assert.ok(q?.getChildren('identity').some((i) => i.attrs.category === 'pubsub' && i.attrs.type === 'pep'));
    const features = q?.getChildren('feature').map((f) => f.attrs.var) ?? [];
    for (const f of ['publish', 'auto-create', 'publish-options', 'access-presence', 'access-open', 'access-roster', 'access-whitelist', 'retrieve-items', 'persistent-items', 'last-published', 'filtered-notifications']) {
      assert.ok(features.includes(`http://jabber.org/protocol/pubsub#${f}`), f);
    }
    assert.ok(features.includes('urn:xmpp:bookmarks:1#compat'));
  });
});
