// Embedded mode: buckets and ledgers in this process's memory, with a sweep so idle keys
// (a full bucket, an expired ledger entry) do not accumulate under a connection flood.
import { type FailureLedger, type RateLimiter, type Rule, refill, type Verdict } from './types.ts';

interface Bucket {
  tokens: number;
  last: number;
  /** When the bucket is full again (it can be dropped then). */
  fullAt: number;
}

export class MemoryRateLimiter implements RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private sweeps = 0;

  constructor(private readonly now: () => number = Date.now) {}

  /** The synchronous take, for hot paths in embedded mode. */
  takeNow(key: string, rule: Rule, cost = 1): Verdict {
    const t = this.now();
    if (++this.sweeps >= 10_000) this.sweep(t);
    const b = this.buckets.get(key);
    const tokens = b ? refill(b.tokens, b.last, t, rule) : rule.burst;
    if (tokens < cost) {
      if (b) {
        b.tokens = tokens;
        b.last = t;
      }
      return { ok: false, retryAfterMs: Math.max(1, Math.ceil(((cost - tokens) * 1000) / rule.perSec)) };
    }
    const left = tokens - cost;
    const fullAt = t + ((rule.burst - left) * 1000) / rule.perSec;
    if (b) {
      b.tokens = left;
      b.last = t;
      b.fullAt = fullAt;
    } else this.buckets.set(key, { tokens: left, last: t, fullAt });
    return { ok: true, retryAfterMs: 0 };
  }

  async take(key: string, rule: Rule, cost = 1): Promise<Verdict> {
    return this.takeNow(key, rule, cost);
  }

  size(): number {
    return this.buckets.size;
  }

  private sweep(t: number): void {
    this.sweeps = 0;
    for (const [k, b] of this.buckets) if (b.fullAt <= t) this.buckets.delete(k);
  }

  async close(): Promise<void> {
    this.buckets.clear();
  }
}

export class MemoryFailureLedger implements FailureLedger {
  private readonly keys = new Map<string, { fields: Map<string, number>; expires: number }>();
  private readonly locks = new Map<string, number>();

  constructor(private readonly now: () => number = Date.now) {}

  private live(key: string): Map<string, number> | undefined {
    const e = this.keys.get(key);
    if (!e) return undefined;
    if (e.expires <= this.now()) {
      this.keys.delete(key);
      return undefined;
    }
    return e.fields;
  }

  async record(entries: ReadonlyArray<readonly [string, string]>, windowMs: number): Promise<number[]> {
    const t = this.now();
    if (this.keys.size > 100_000) for (const [k, e] of this.keys) if (e.expires <= t) this.keys.delete(k);
    return entries.map(([key, field]) => {
      let fields = this.live(key);
      if (!fields) {
        fields = new Map();
        this.keys.set(key, { fields, expires: t + windowMs });
      }
      this.keys.get(key)!.expires = t + windowMs;
      const n = (fields.get(field) ?? 0) + 1;
      fields.set(field, n);
      return n;
    });
  }

  async read(entries: ReadonlyArray<readonly [string, string]>): Promise<number[]> {
    return entries.map(([key, field]) => this.live(key)?.get(field) ?? 0);
  }

  async forget(key: string, field?: string): Promise<void> {
    if (field === undefined) this.keys.delete(key);
    else this.live(key)?.delete(field);
  }

  async lock(key: string, ms: number): Promise<void> {
    this.locks.set(key, this.now() + ms);
  }

  async lockedFor(key: string): Promise<number> {
    const until = this.locks.get(key);
    if (until === undefined) return 0;
    const left = until - this.now();
    if (left <= 0) this.locks.delete(key);
    return Math.max(0, left);
  }

  async unlock(key: string): Promise<void> {
    this.locks.delete(key);
  }

  async close(): Promise<void> {}
}
