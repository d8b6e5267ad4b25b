import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadModules } from '@parley/ext';
import type { RosterItem } from '@parley/store';
import { parseFragment } from '@parley/xml';
import { denial } from './access.ts';
import { capsOf, capsVer, verifiedFeatures } from './caps.ts';
import { applyFields, defaultConfig, effectiveMaxItems, satisfies } from './config.ts';
import { readForm } from './form.ts';
import { NS_PUBSUB, NS_PUBSUB_OWNER, pep } from './index.ts';

const limits = { maxItems: 50, maxItemBytes: 1000, maxNodes: 10 };
const form = (fields: Record<string, string | string[]>) =>
  readForm(
    parseFragment(
      `<publish-options><x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE'><value>http://jabber.org/protocol/pubsub#publish-options</value></field>${Object.entries(fields)
        .map(([k, v]) => `<field var='${k}'>${[v].flat().map((x) => `<value>${x}</value>`).join('')}</field>`)
        .join('')}</x></publish-options>`,
    ),
  )!;
const item = (over: Partial<RosterItem>): RosterItem => ({ contact: 'bob@x', name: null, subscription: 'none', ask: null, pendingIn: false, approved: false, hidden: false, groups: [], ...over });

describe('XEP-0115 entity capabilities', () => {
  test('the simple generation example of §5.2 verifies', () => {
    const result = parseFragment(
      `<iq type='result'><query xmlns='http://jabber.org/protocol/disco#info' node='http://code.google.com/p/exodus#QgayPKawpkPSDYmwT/WM94uAlu0='>
<identity category='client' name='Exodus 0.9.1' type='pc'/><feature var='http://jabber.org/protocol/caps'/><feature var='http://jabber.org/protocol/disco#info'/>
<feature var='http://jabber.org/protocol/disco#items'/><feature var='http://jabber.org/protocol/muc'/></query></iq>`,
    );
    assert.equal(capsVer(result.getChild('query')!, 'sha-1'), 'QgayPKawpkPSDYmwT/WM94uAlu0=');
    const caps = { node: 'http://code.google.com/p/exodus', ver: 'QgayPKawpkPSDYmwT/WM94uAlu0=', hash: 'sha-1' };
    assert.equal(verifiedFeatures(caps, result)?.length, 4);
    assert.equal(verifiedFeatures({ ...caps, ver: 'forged=' }, result), null);
  });

  test('the complex generation example of §5.3 (identities in two languages, an extended form) verifies', () => {
    const query = parseFragment(
      `<query xmlns='http://jabber.org/protocol/disco#info'>
<identity xml:lang='en' category='client' name='Psi 0.11' type='pc'/><identity xml:lang='el' category='client' name='Ψ 0.11' type='pc'/>
<feature var='http://jabber.org/protocol/caps'/><feature var='http://jabber.org/protocol/disco#info'/><feature var='http://jabber.org/protocol/disco#items'/><feature var='http://jabber.org/protocol/muc'/>
<x xmlns='jabber:x:data' type='result'><field var='FORM_TYPE' type='hidden'><value>urn:xmpp:dataforms:softwareinfo</value></field>
<field var='ip_version'><value>ipv4</value><value>ipv6</value></field><field var='os'><value>Mac</value></field><field var='os_version'><value>10.5.1</value></field>
<field var='software'><value>Psi</value></field><field var='software_version'><value>0.11</value></field></x></query>`,
    );
    assert.equal(capsVer(query, 'sha-1'), 'q07IKJEyjvHSyhy//CH0CxmKi8w=');
  });

  test('duplicate features make an answer untrustworthy (§5.4), and legacy caps without a hash are not used (§8.3)', () => {
    const query = parseFragment(`<query xmlns='http://jabber.org/protocol/disco#info'><feature var='a'/><feature var='a'/></query>`);
    assert.equal(capsVer(query, 'sha-1'), null);
    assert.equal(capsOf(parseFragment(`<presence><c xmlns='http://jabber.org/protocol/caps' node='n' ver='1.0' ext='x'/></presence>`)), null);
    assert.equal(capsOf(parseFragment(`<presence><c xmlns='http://jabber.org/protocol/caps' node='n' ver='v' hash='md4'/></presence>`)), null);
  });
});

describe('node configuration and publish-options (XEP-0060 §7.1.5, §16.4)', () => {
  test('defaults: presence for PEP, whitelist and max items for bookmarks (XEP-0402 §3)', () => {
    assert.equal(defaultConfig('urn:xmpp:avatar:metadata').access_model, 'presence');
    const b = defaultConfig('urn:xmpp:bookmarks:1');
    assert.deepEqual([b.access_model, effectiveMaxItems(b, limits)], ['whitelist', 50]);
  });

  test('fields are applied, bad values and unknown fields are refused, and max is the server limit', () => {
    const r = applyFields(defaultConfig('n'), form({ 'pubsub#access_model': 'open', 'pubsub#max_items': 'max', 'pubsub#persist_items': 'true' }), limits);
    assert.ok(r.ok);
    assert.deepEqual([r.config.access_model, effectiveMaxItems(r.config, limits), r.config.persist_items], ['open', 50, true]);
    assert.deepEqual(applyFields(defaultConfig('n'), form({ 'pubsub#access_model': 'authorize' }), limits), { ok: false, field: 'pubsub#access_model' });
    assert.deepEqual(applyFields(defaultConfig('n'), form({ 'pubsub#max_items': '51' }), limits), { ok: false, field: 'pubsub#max_items' });
    assert.deepEqual(applyFields(defaultConfig('n'), form({ 'pubsub#made_up': '1' }), limits), { ok: false, field: 'pubsub#made_up' });
    assert.ok(applyFields(defaultConfig('n'), form({ 'pubsub#notify_delete': 'true' }), limits).ok);
  });

  test('a precondition holds only when the node already has those values', () => {
    const open = { ...defaultConfig('n'), access_model: 'open' as const };
    assert.equal(satisfies(open, form({ 'pubsub#access_model': 'open' }), limits), true);
    assert.equal(satisfies(open, form({ 'pubsub#access_model': 'presence' }), limits), false);
    assert.equal(satisfies({ ...open, max_items: 50 }, form({ 'pubsub#max_items': 'max' }), limits), true);
    assert.equal(satisfies(open, form({ 'pubsub#max_items': 'max' }), limits), false);
  });
});

describe('access models (XEP-0060 §4.5)', () => {
  const facts = (model: 'presence' | 'open' | 'roster' | 'whitelist', it: RosterItem | null, affiliations = {}) => ({ owner: 'alice@x', requester: 'bob@x', item: it, affiliations, model, rosterGroups: ['Friends'] });
  test('presence needs a subscription from the owner; roster a group; whitelist an affiliation; outcasts never', () => {
    assert.equal(denial(facts('open', null)), null);
    assert.equal(denial(facts('presence', item({ subscription: 'to' })))?.appCondition.name, 'presence-subscription-required');
    assert.equal(denial(facts('presence', item({ subscription: 'both' }))), null);
    assert.equal(denial(facts('roster', item({ groups: ['Work'] })))?.appCondition.name, 'not-in-roster-group');
    assert.equal(denial(facts('roster', item({ groups: ['Friends'] }))), null);
    assert.equal(denial(facts('whitelist', item({ subscription: 'both' })))?.error, 'not-allowed');
    assert.equal(denial(facts('whitelist', null, { 'bob@x': 'member' })), null);
    assert.equal(denial(facts('open', null, { 'bob@x': 'outcast' }))?.error, 'forbidden');
    assert.equal(denial({ ...facts('whitelist', null), requester: 'alice@x' }), null);
  });
});

describe('the pep module', () => {
  test('the owner is served by the presence actor, others by the session actor; the account shows a pep identity', () => {
    const loaded = loadModules([pep()]);
    assert.ok(loaded.presence.iq.find('server', 'set', NS_PUBSUB, 'pubsub'));
    assert.ok(loaded.presence.iq.find('server', 'get', NS_PUBSUB_OWNER, 'pubsub'));
    assert.ok(loaded.session.iq.find('account', 'get', NS_PUBSUB, 'pubsub'));
    assert.equal(loaded.edge.serverIqService(NS_PUBSUB, 'pubsub'), 'presence');
    for (const target of ['own-account', 'account'] as const) {
      const info = loaded.disco(target);
      assert.ok(info.identities.some((i) => i.attr('category') === 'pubsub' && i.attr('type') === 'pep'));
      assert.ok(info.features.includes(`${NS_PUBSUB}#publish-options`));
    }
    assert.equal(loaded.disco('server').identities.length, 0);
  });
});
