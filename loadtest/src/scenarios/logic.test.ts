import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  RateScheduler,
  decodeBody,
  encodeBody,
  isRoomSender,
  pickRecipient,
  presenceFanout,
  ringContacts,
  roomFanout,
  roomOf,
  workerShare,
} from './logic.ts';

describe('message bodies', () => {
  test('a body carries its send time and sender and is padded to the requested size', () => {
    const b = encodeBody(1_700_000_000_123.456, 42, 100);
    assert.equal(b.length, 100);
    assert.deepEqual(decodeBody(b), { sentAtMs: 1_700_000_000_123.456, sender: 42 });
  });

  test('a requested size below the header keeps the whole header', () => {
    const b = encodeBody(5, 1, 3);
    assert.deepEqual(decodeBody(b), { sentAtMs: 5, sender: 1 });
  });

  test('bodies that are not ours are ignored', () => {
    assert.equal(decodeBody('hello'), undefined);
    assert.equal(decodeBody('plt:abc:1:'), undefined);
    assert.equal(decodeBody('plt:12'), undefined);
    assert.equal(decodeBody(undefined), undefined);
  });
});

describe('rate scheduler', () => {
  test('releases exactly rate × time over a long run of uneven ticks', () => {
    const s = new RateScheduler(37);
    let t = 0;
    let sent = s.due(t);
    for (let i = 0; i < 1000; i++) {
      t += 5 + (i % 7) * 3; // 5..23 ms ticks
      sent += s.due(t);
    }
    assert.ok(Math.abs(sent - (37 * t) / 1000) < 1, `${sent} vs ${(37 * t) / 1000}`);
  });

  test('a stalled event loop releases at most one second of backlog', () => {
    const s = new RateScheduler(100);
    s.due(0);
    assert.equal(s.due(10_000), 100);
  });

  test('a rate below one per tick still sends', () => {
    const s = new RateScheduler(0.5);
    let sent = s.due(0);
    for (let t = 20; t <= 10_000; t += 20) sent += s.due(t);
    assert.equal(sent, 5);
  });
});

describe('recipient choice', () => {
  test('never picks the sender and covers every other online user', () => {
    const online = [1, 4, 7, 9];
    const seen = new Set<number>();
    for (let i = 0; i < 500; i++) {
      const r = pickRecipient(online, 4)!;
      assert.notEqual(r, 4);
      assert.ok(online.includes(r));
      seen.add(r);
    }
    assert.deepEqual([...seen].sort(), [1, 7, 9]);
  });

  test('a sender alone online has nobody to write to', () => {
    assert.equal(pickRecipient([3], 3), undefined);
    assert.equal(pickRecipient([], 3), undefined);
  });
});

describe('presence rosters', () => {
  test('every user has exactly R contacts and the relation is symmetric', () => {
    for (const [users, r] of [
      [20, 4],
      [20, 5],
      [7, 6],
      [100, 10],
    ] as const) {
      for (let u = 0; u < users; u++) {
        const c = ringContacts(u, users, r);
        assert.equal(c.length, r, `users ${users} R ${r} user ${u}`);
        assert.ok(!c.includes(u));
        for (const v of c) assert.ok(ringContacts(v, users, r).includes(u));
      }
    }
  });

  test('a status change is expected by the contacts that are online', () => {
    assert.equal(presenceFanout([1, 2, 3], new Set([2, 3, 9])), 2);
  });
});

describe('chatrooms', () => {
  test('users fill rooms in blocks and the first M of each room send', () => {
    assert.deepEqual([0, 9, 10, 25].map((u) => roomOf(u, 10)), [0, 0, 1, 2]);
    assert.deepEqual([0, 2, 3, 10, 13].map((u) => isRoomSender(u, 10, 3)), [true, true, false, true, false]);
  });

  test('a room message is expected by every other ready occupant', () => {
    const ready = new Set([0, 1, 2, 4, 10]);
    assert.equal(roomFanout(1, 5, ready), 3); // 0, 2, 4
    assert.equal(roomFanout(10, 5, ready), 0);
  });
});

describe('worker share', () => {
  test('workers split the users without overlap or gap', () => {
    const all = [0, 1, 2].flatMap((w) => workerShare(10, w, 3)).sort((a, b) => a - b);
    assert.deepEqual(all, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });
});
