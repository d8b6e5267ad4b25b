/**
 * Bounds how many departed sessions' clean-ups (presence unavailable, location entry) one edge has
 * in flight; the rest wait here in order. Without it, a mass departure (a server stop with 10,000
 * sessions, or a network blip that drops them all) put 10,000 requests into the actors' mailboxes
 * at once, and those at the back timed out ("presence cleanup failed") before an actor reached them.
 */
export class CleanupGate {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`cleanup concurrency must be a positive integer, got ${limit}`);
  }

  /** Runs `task` once fewer than `limit` others run; resolves or rejects with it. */
  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.running++;
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      // The slot passes straight to the next waiter, so `running` stays at the limit while any wait.
      if (next) next();
      else this.running--;
    }
  }

  /** Clean-ups running and waiting (for metrics and tests). */
  pending(): number {
    return this.running + this.waiting.length;
  }
}
