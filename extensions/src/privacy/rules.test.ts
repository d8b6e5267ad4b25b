// XEP-0016 §2 item matching as pure functions.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { PrivacyItem, RosterItem } from '@parley/store';
import { allows, jidMatches } from './rules.ts';

const item = (over: Partial<PrivacyItem>): PrivacyItem => ({ type: null, value: null, action: 'deny', order: 0, stanzas: [], ...over });
const contact = (over: Partial<RosterItem>): RosterItem => ({ contact: 'bob@x.example', name: null, subscription: 'none', ask: null, pendingIn: false, approved: false, groups: [], ...over });
const none = async () => null;

describe('privacy list rules (XEP-0016 §2)', () => {
  test('JIDs match in the four forms of §2.1', () => {
    assert.equal(jidMatches('bob@x.example/phone', 'bob@x.example/phone'), true);
    assert.equal(jidMatches('bob@x.example/phone', 'bob@x.example/laptop'), false);
    assert.equal(jidMatches('bob@x.example', 'bob@x.example/any'), true);
    assert.equal(jidMatches('bob@x.example', 'bobby@x.example'), false);
    assert.equal(jidMatches('x.example/r', 'x.example/r'), true);
    assert.equal(jidMatches('x.example/r', 'bob@x.example/r'), false);
    assert.equal(jidMatches('x.example', 'bob@x.example/r'), true);
    assert.equal(jidMatches('x.example', 'muc.x.example'), true);
    assert.equal(jidMatches('x.example', 'evilx.example'), false);
    assert.equal(jidMatches('not a jid@@', 'bob@x.example'), false);
  });

  test('the first matching item in ascending order decides; no match allows (§2.2 rules 5-7)', async () => {
    const list = { name: 'l', items: [item({ type: 'jid', value: 'bob@x.example', action: 'allow', order: 1 }), item({ order: 2 })] };
    assert.equal(await allows(list, 'message', 'bob@x.example/r', none), true);
    assert.equal(await allows(list, 'message', 'eve@x.example/r', none), false);
    assert.equal(await allows({ name: 'e', items: [] }, 'message', 'eve@x.example', none), true);
    assert.equal(await allows(null, 'iq', 'eve@x.example', none), true);
  });

  test('an item naming stanza kinds matches only those; one naming none matches everything, both directions (§2.13)', async () => {
    const onlyMessages = { name: 'm', items: [item({ stanzas: ['message'] })] };
    assert.equal(await allows(onlyMessages, 'message', 'eve@x.example', none), false);
    assert.equal(await allows(onlyMessages, 'iq', 'eve@x.example', none), true);
    assert.equal(await allows(onlyMessages, 'other-out', 'eve@x.example', none), true, 'outbound stanzas only by all-stanza items');
    const all = { name: 'a', items: [item({})] };
    for (const t of ['message', 'iq', 'presence-in', 'presence-out', 'other-in', 'other-out'] as const) assert.equal(await allows(all, t, 'eve@x.example', none), false, t);
  });

  test('groups and subscriptions come from the roster; "none" includes strangers (§2.1)', async () => {
    const friends = { name: 'g', items: [item({ type: 'group', value: 'Friends', action: 'allow', order: 0 }), item({ order: 1 })] };
    assert.equal(await allows(friends, 'message', 'bob@x.example', async () => contact({ groups: ['Friends'] })), true);
    assert.equal(await allows(friends, 'message', 'bob@x.example', async () => contact({ groups: ['Work'] })), false);
    const strangers = { name: 's', items: [item({ type: 'subscription', value: 'none', order: 0 })] };
    assert.equal(await allows(strangers, 'message', 'eve@x.example', none), false);
    assert.equal(await allows(strangers, 'message', 'bob@x.example', async () => contact({ subscription: 'both' })), true);
    let asked = 0;
    await allows({ name: 'j', items: [item({ type: 'jid', value: 'eve@x.example' })] }, 'message', 'bob@x.example', async () => {
      asked += 1;
      return null;
    });
    assert.equal(asked, 0, 'the roster is read only for group and subscription items');
  });
});
