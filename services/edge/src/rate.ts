/**
 * Token bucket on inbound bytes. When a connection runs dry the edge stops reading its socket
 * until tokens refill: back-pressure like ejabberd's shapers, so a flooder slows itself down
 * without hurting anyone else and without the server dropping accepted data.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly ratePerSec: number,
    private readonly burst: number,
    private readonly now: () => number = Date.now,
  ) {
    this.tokens = burst;
    this.last = now();
  }

  /** Take `n` tokens; returns how many ms to wait before reading more (0 = go on). */
  take(n: number): number {
    const t = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((t - this.last) * this.ratePerSec) / 1000);
    this.last = t;
    this.tokens -= n;
    if (this.tokens >= 0) return 0;
    return Math.ceil((-this.tokens * 1000) / this.ratePerSec);
  }
}
