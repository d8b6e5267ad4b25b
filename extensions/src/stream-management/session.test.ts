import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RoutingRecoveringError } from '@parley/actor';
import type { Delivery, SessionEnv } from '@parley/ext';
import type { ResourceEntry } from '@parley/location';
import { smSession } from './session.ts';

const entry = (sm: boolean): ResourceEntry => ({ jid: 'a@example.com/r', edge: 'e', conn: 'c1', priority: 0, available: true, sm });
const delivery = (r: ResourceEntry[], stampRecipient = false): Delivery => ({ recipients: r, xml: '<message/>', id: 'd1', stampRecipient });

test('a delivery to one stream-managed connection is kept in its outbox first; others are not', async () => {
  const kept: string[] = [];
  const env = { location: { outboxPut: async (conn: string, id: string) => kept.push(`${conn}:${id}`) > 0 } } as unknown as SessionEnv;
  await smSession.beforeDeliver!(delivery([entry(true)]), env);
  assert.equal(smSession.beforeDeliver!(delivery([entry(false)]), env), undefined);
  assert.equal(smSession.beforeDeliver!(delivery([entry(true), { ...entry(true), conn: 'c2' }]), env), undefined);
  assert.equal(smSession.beforeDeliver!(delivery([entry(true)], true), env), undefined);
  assert.deepEqual(kept, ['c1:d1']);
});

test('an outbox that cannot take the delivery makes the hand-off retryable, not an internal error', async () => {
  const env = { location: { outboxPut: async () => Promise.reject(new Error('connection lost')) } } as unknown as SessionEnv;
  await assert.rejects(smSession.beforeDeliver!(delivery([entry(true)]), env)!, RoutingRecoveringError);
});

test('a session that moved (resumed elsewhere) between lookup and put makes the hand-off retryable', async () => {
  const env = { location: { outboxPut: async () => false } } as unknown as SessionEnv;
  await assert.rejects(smSession.beforeDeliver!(delivery([entry(true)]), env)!, RoutingRecoveringError);
});
