// Group commit: callers that write at about the same time share one statement. A write's fixed cost
// (parse, plan, commit; in PGlite also the trip through WebAssembly) is several times one row's
// (measured in docs/decisions/0027-embedded-store-cost.md), so under load the rows of every actor
// that wrote during one event-loop turn, or while the previous statement ran, go in together.
// Each caller still awaits its own rows' commit: nothing is acknowledged earlier than before.
import { isStoreUnreachable } from './unreachable.ts';

export interface GroupCommitOptions {
  /** Most items in one statement (bounds the statement's size and a batch's latency). */
  maxItems?: number;
  /**
   * How long the first writer of an idle queue waits for others before its statement runs, ms
   * (0: one event-loop turn). At moderate load a statement otherwise carries one or two callers'
   * rows and its fixed cost is most of the write (decision 0037).
   */
  delayMs?: number;
}

interface Waiting<I, O> {
  items: I[];
  resolve: (out: O[]) => void;
  reject: (err: unknown) => void;
}

/**
 * `write(items)` runs `flush` for these items and the other callers' that joined the same batch;
 * `flush` returns one output per item, in order, and is atomic (all or nothing). When a batch of
 * several callers fails for a reason other than an unreachable store, each caller's items are
 * flushed again on their own, so one caller's bad row fails only that caller.
 */
export function groupCommit<I, O>(flush: (items: I[]) => Promise<O[]>, opts: GroupCommitOptions = {}): (items: I[]) => Promise<O[]> {
  const maxItems = opts.maxItems ?? 500;
  const delayMs = opts.delayMs ?? 0;
  let queue: Waiting<I, O>[] = [];
  let running = false;

  async function runOnce(batch: Waiting<I, O>[]): Promise<void> {
    try {
      const out = await flush(batch.flatMap((w) => w.items));
      let at = 0;
      for (const w of batch) {
        w.resolve(out.slice(at, at + w.items.length));
        at += w.items.length;
      }
    } catch (err) {
      if (batch.length === 1 || isStoreUnreachable(err)) {
        for (const w of batch) w.reject(err);
        return;
      }
      for (const w of batch) await runOnce([w]);
    }
  }

  async function drain(): Promise<void> {
    running = true;
    // One turn of the event loop (or the delay) first, so the writers of that time share the first statement.
    await new Promise<void>((r) => (delayMs > 0 ? setTimeout(r, delayMs) : setImmediate(r)));
    while (queue.length > 0) {
      let n = 0;
      let take = 0;
      while (take < queue.length && (take === 0 || n + queue[take]!.items.length <= maxItems)) n += queue[take++]!.items.length;
      const batch = queue.slice(0, take);
      queue = queue.slice(take);
      await runOnce(batch);
    }
    running = false;
  }

  return (items) => {
    if (items.length === 0) return Promise.resolve([]);
    return new Promise<O[]>((resolve, reject) => {
      queue.push({ items, resolve, reject });
      if (!running) void drain();
    });
  };
}
