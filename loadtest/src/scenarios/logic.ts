// Pure scenario arithmetic: timestamps in bodies, send pacing, recipient choice, roster rings and
// room assignment. Users are identified by their ordinal 0..users-1 (the name index is first+ordinal).

const BODY_TAG = 'plt:';

/** Wall-clock milliseconds with microsecond resolution, comparable across worker processes. */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

/** A body carrying its send time, padded with 'x' to `size` bytes (never shorter than the header). */
export function encodeBody(sentAtMs: number, sender: number, size: number): string {
  const head = `${BODY_TAG}${sentAtMs.toFixed(3)}:${sender}:`;
  return size > head.length ? head + 'x'.repeat(size - head.length) : head;
}

export function decodeBody(body: string | undefined | null): { sentAtMs: number; sender: number } | undefined {
  if (!body?.startsWith(BODY_TAG)) return undefined;
  const a = body.indexOf(':', BODY_TAG.length);
  const b = a < 0 ? -1 : body.indexOf(':', a + 1);
  if (b < 0) return undefined;
  const sentAtMs = Number(body.slice(BODY_TAG.length, a));
  const sender = Number(body.slice(a + 1, b));
  if (!Number.isFinite(sentAtMs) || !Number.isInteger(sender)) return undefined;
  return { sentAtMs, sender };
}

/**
 * Paces sends at `rate` per second from a periodic tick: returns how many are due now. Fractions
 * carry over, so the long-run rate is exact; after a stall at most `maxBurstSeconds` worth is
 * released at once rather than a flood that would measure the generator instead of the server.
 */
export class RateScheduler {
  private carry = 0;
  private last: number | undefined;

  constructor(
    public rate: number,
    private readonly maxBurstSeconds = 1,
  ) {}

  due(nowMs: number): number {
    if (this.last === undefined) {
      this.last = nowMs;
      return 0;
    }
    const dt = Math.max(0, nowMs - this.last) / 1000;
    this.last = nowMs;
    this.carry = Math.min(this.carry + this.rate * dt, Math.max(1, this.rate * this.maxBurstSeconds));
    const n = Math.floor(this.carry);
    this.carry -= n;
    return n;
  }
}

/** A uniformly random member of `online` other than `self`, or undefined if there is none. */
export function pickRecipient(online: readonly number[], self: number, rnd: () => number = Math.random): number | undefined {
  if (online.length === 0 || (online.length === 1 && online[0] === self)) return undefined;
  for (;;) {
    const r = online[Math.floor(rnd() * online.length)]!;
    if (r !== self) return r;
  }
}

/**
 * Contacts of `user` in a ring of `users` where everyone has `size` contacts and the relation is
 * symmetric (a roster entry with subscription "both" needs both sides): the `size/2` neighbours
 * on each side, plus the opposite user when `size` is odd and `users` even. An odd size with an odd
 * user count cannot be symmetric, so it is rounded down.
 */
export function ringContacts(user: number, users: number, size: number): number[] {
  const r = Math.min(size, users - 1);
  const half = Math.floor(r / 2);
  const out = new Set<number>();
  for (let k = 1; k <= half; k++) {
    out.add((user + k) % users);
    out.add((user - k + users) % users);
  }
  if (r % 2 === 1 && users % 2 === 0) out.add((user + users / 2) % users);
  out.delete(user);
  return [...out].sort((a, b) => a - b);
}

/** Room number of a user: consecutive blocks of `occupants` users share a room. */
export function roomOf(user: number, occupants: number): number {
  return Math.floor(user / occupants);
}

/** The first `senders` occupants of each room send; the others only listen. */
export function isRoomSender(user: number, occupants: number, senders: number): boolean {
  return user % occupants < senders;
}

/** How many deliveries one message from `sender` should produce among `ready` users. */
export function roomFanout(sender: number, occupants: number, ready: ReadonlySet<number>): number {
  const room = roomOf(sender, occupants);
  let n = 0;
  for (let u = room * occupants; u < (room + 1) * occupants; u++) if (u !== sender && ready.has(u)) n++;
  return n;
}

/** Deliveries of one status change: the sender's contacts that are ready. */
export function presenceFanout(contacts: readonly number[], ready: ReadonlySet<number>): number {
  let n = 0;
  for (const c of contacts) if (ready.has(c)) n++;
  return n;
}

/** The users a worker owns: ordinals congruent to its index modulo the worker count. */
export function workerShare(users: number, worker: number, workers: number): number[] {
  const out: number[] = [];
  for (let u = worker; u < users; u += workers) out.push(u);
  return out;
}
