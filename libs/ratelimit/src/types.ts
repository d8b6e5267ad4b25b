// The two shapes every abuse limit is built from: a token bucket (how fast) and a failure ledger
// (how many failures lately, and temporary locks). Both have a memory and a Redis implementation.

/** A token bucket: `burst` tokens at most, refilled at `perSec` tokens a second. */
export interface Rule {
  readonly perSec: number;
  readonly burst: number;
}

export interface Verdict {
  readonly ok: boolean;
  /** When refused: milliseconds until `cost` tokens are there again. 0 when ok. */
  readonly retryAfterMs: number;
}

export interface RateLimiter {
  /** Take `cost` tokens from the bucket `key`; a refused take consumes nothing (no debt). */
  take(key: string, rule: Rule, cost?: number): Promise<Verdict>;
  close(): Promise<void>;
}

/** Failure counts kept under a key and a field (e.g. account and address), forgotten `windowMs` after the last one. */
export interface FailureLedger {
  /** Count one failure for each [key, field]; returns the new counts in order. */
  record(entries: ReadonlyArray<readonly [string, string]>, windowMs: number): Promise<number[]>;
  read(entries: ReadonlyArray<readonly [string, string]>): Promise<number[]>;
  /** Forget one field of a key, or the whole key. */
  forget(key: string, field?: string): Promise<void>;
  /** Lock `key` for `ms` milliseconds. */
  lock(key: string, ms: number): Promise<void>;
  /** Milliseconds the lock on `key` still runs (0: not locked). */
  lockedFor(key: string): Promise<number>;
  unlock(key: string): Promise<void>;
  close(): Promise<void>;
}

/** Refill arithmetic shared by the memory implementation (the Lua script does the same). */
export function refill(tokens: number, last: number, now: number, rule: Rule): number {
  return Math.min(rule.burst, tokens + (Math.max(0, now - last) * rule.perSec) / 1000);
}
