// Edge → actor hand-off: request/reply, retried while a shard changes owner (no responders,
// timeout, or an explicit 'moved') or routing recovers (an explicit 'recovering'), and asked again
// without counting while the actor says the stanza is 'queued' behind others (a busy room).
// Safe to retry because the actor side deduplicates by stanza id.
import type { Bus, BusError } from '@parley/bus';
import type { ActorReply, ActorRequest, WireMessage } from '@parley/wire';
import { MOVED_CONDITION, RECOVERING_CONDITION } from './host.ts';
import { QUEUED_CONDITION } from './serve.ts';

export interface RetryOptions {
  /** Total attempts, the first included (RETRY_DEFAULTS: longer than a graceful hand-over at the default lease timing). */
  attempts?: number;
  /** First backoff; doubles per attempt with jitter (default 25 ms). */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** Per-attempt reply timeout (default 2000 ms). */
  timeoutMs?: number;
  /**
   * Reply timeout once the actor said 'queued' (it holds a repeated request up to QUEUED_TIMING.holdMs),
   * and the most the timeout grows to after timeouts (doubling from `timeoutMs`: an actor process too
   * starved to answer 'queued' in time still gets to answer).
   */
  queuedTimeoutMs?: number;
  /**
   * How long a stanza may stay 'queued' before the hand-off gives up (default 150 s: longer than the
   * actors' own bound on waiting, 2 minutes, so that the actor's refusal is what the client gets).
   */
  maxQueuedMs?: number;
}

/** Every attempt failed retryably: the client should get `<resource-constraint/>` (type wait). */
export class HandOffError extends Error {
  readonly condition = 'resource-constraint';
  constructor(
    readonly attempts: number,
    readonly last: string,
  ) {
    super(`actor hand-off failed after ${attempts} attempts (last: ${last})`);
  }
}

/** The one set of retry defaults (embedded mode, tests): ≈1.3–2.6 s of backoff over 8 attempts. */
export const RETRY_DEFAULTS: Required<RetryOptions> = { attempts: 8, backoffMs: 25, maxBackoffMs: 1000, timeoutMs: 2000, queuedTimeoutMs: 15_000, maxQueuedMs: 150_000 };

/**
 * Cluster hand-offs must outlast a shard lease: a crashed owner's shards are taken over only after
 * its lease expires, so the backoff grows to a quarter of the lease TTL over 12 attempts.
 */
export function clusterRetry(leaseTtlMs: number): Required<RetryOptions> {
  return { ...RETRY_DEFAULTS, attempts: 12, backoffMs: 50, maxBackoffMs: Math.max(500, leaseTtlMs / 4) };
}

const RETRYABLE_BUS = new Set<string>(['no-responders', 'timeout']);
const RETRYABLE_REPLY = new Set<string>([MOVED_CONDITION, RECOVERING_CONDITION]);

/**
 * Send `msg` and resolve with the actor's reply. Retries on no-responders, timeout, 'moved' and 'recovering';
 * asks again at once on 'queued' (not an attempt: the actor is alive and working through its mailbox);
 * any other reply (accepted, overload, bad request) is final and returned as is. Rejects with
 * HandOffError when attempts run out or the stanza stayed queued past `maxQueuedMs`, or with the
 * bus error if it is not retryable.
 */
export async function requestWithRetry(
  bus: Bus<WireMessage>,
  subject: string,
  msg: ActorRequest,
  opts: RetryOptions = {},
): Promise<ActorReply> {
  const { attempts, backoffMs: backoff, maxBackoffMs: maxBackoff, timeoutMs, queuedTimeoutMs, maxQueuedMs } = { ...RETRY_DEFAULTS, ...opts };
  let last = 'none';
  let queuedSince: number | undefined;
  let timeouts = 0;
  for (let i = 0; i < attempts; ) {
    if (i > 0 && last !== QUEUED_CONDITION) {
      const base = Math.min(maxBackoff, backoff * 2 ** (i - 1));
      await new Promise((r) => setTimeout(r, base / 2 + Math.random() * (base / 2)));
    }
    const waitMs = last === QUEUED_CONDITION ? queuedTimeoutMs : Math.min(Math.max(timeoutMs, queuedTimeoutMs), timeoutMs * 2 ** timeouts);
    try {
      // The actor answers 'queued' within half of what we wait (serve.ts).
      const reply = (await bus.request(subject, msg.kind === 'stanza' ? { ...msg, waitMs } : msg, { timeoutMs: waitMs })) as ActorReply;
      if (!reply.ok && reply.condition === QUEUED_CONDITION) {
        queuedSince ??= Date.now();
        if (Date.now() - queuedSince > maxQueuedMs) throw new HandOffError(i + 1, QUEUED_CONDITION);
        last = QUEUED_CONDITION;
        continue;
      }
      i++;
      if (reply.ok || !RETRYABLE_REPLY.has(reply.condition)) return reply;
      last = reply.condition;
    } catch (err) {
      if (err instanceof HandOffError) throw err;
      i++;
      const code = (err as Partial<BusError>).code;
      if (code === undefined || !RETRYABLE_BUS.has(code)) throw err;
      if (code === 'timeout') timeouts++;
      last = code;
    }
  }
  throw new HandOffError(attempts, last);
}
