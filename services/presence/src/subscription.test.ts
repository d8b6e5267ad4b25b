import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { RosterItem } from '@parley/store';
import { emptyItem, inbound, isVisible, outbound } from './subscription.ts';

const C = 'contact@example.com';
const item = (over: Partial<RosterItem>): RosterItem => ({ ...emptyItem(C), hidden: false, ...over });

describe('outbound subscription processing (RFC 6121 §3)', () => {
  test('subscribing marks the item pending-out and forwards the request', () => {
    const e = outbound('subscribe', null, C);
    assert.equal(e.item?.ask, 'subscribe');
    assert.equal(e.item?.subscription, 'none');
    assert.equal(e.forward, true);
  });

  test('approving a pending request grants from and sends our presence', () => {
    const e = outbound('subscribed', item({ pendingIn: true, subscription: 'to' }), C);
    assert.equal(e.item?.subscription, 'both');
    assert.equal(e.item?.pendingIn, false);
    assert.equal(e.forward, true);
    assert.equal(e.sendPresence, true);
  });

  test('approving without a request is remembered as a pre-approval and not sent', () => {
    const e = outbound('subscribed', item({}), C);
    assert.equal(e.item?.approved, true);
    assert.equal(e.forward, false);
  });

  test('the publisher cancelling a subscriber removes from and sends unavailable', () => {
    const e = outbound('unsubscribed', item({ subscription: 'both' }), C);
    assert.equal(e.item?.subscription, 'to');
    assert.equal(e.sendUnavailable, true);
    assert.equal(e.forward, true);
  });

  test('unsubscribing drops to and any pending ask', () => {
    const e = outbound('unsubscribe', item({ subscription: 'both' }), C);
    assert.equal(e.item?.subscription, 'from');
    assert.equal(e.item?.ask, null);
  });
});

describe('inbound subscription processing (RFC 6121 §3)', () => {
  test('a new request is stored pending-in, hidden from the roster, and delivered', () => {
    const e = inbound('subscribe', null, C);
    assert.equal(e.item?.pendingIn, true);
    assert.equal(e.item && isVisible(e.item), false);
    assert.equal(e.deliver, true);
  });

  test('a request from an existing subscriber is answered automatically', () => {
    const e = inbound('subscribe', item({ subscription: 'from' }), C);
    assert.equal(e.autoReply, 'subscribed');
    assert.equal(e.deliver, false);
    assert.equal(e.item, null);
  });

  test('a pre-approved request is granted without asking the user', () => {
    const e = inbound('subscribe', item({ approved: true }), C);
    assert.equal(e.item?.subscription, 'from');
    assert.equal(e.autoReply, 'subscribed');
    assert.equal(e.sendPresence, true);
  });

  test('an approval we never asked for is ignored', () => {
    const e = inbound('subscribed', item({}), C);
    assert.equal(e.item, null);
    assert.equal(e.deliver, false);
  });

  test('an approval we asked for grants to', () => {
    const e = inbound('subscribed', item({ ask: 'subscribe', subscription: 'from' }), C);
    assert.equal(e.item?.subscription, 'both');
    assert.equal(e.item?.ask, null);
  });

  test('being cancelled by the contact removes to', () => {
    const e = inbound('unsubscribed', item({ subscription: 'to' }), C);
    assert.equal(e.item?.subscription, 'none');
    assert.equal(e.deliver, true);
  });
});
