// What a test client has received, in order. Tests take the first item matching a predicate (the
// rest stay for later), and after a flush they check that nothing unwanted is buffered.

export const DEFAULT_TIMEOUT_MS = 5000;

interface Waiter<T> {
  pred: (item: T) => boolean;
  resolve: (item: T) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

export class Inbox<T> {
  private readonly items: T[] = [];
  private readonly waiters: Waiter<T>[] = [];
  private closedReason: string | null = null;

  constructor(
    private readonly label: string,
    private readonly format: (item: T) => string = (x) => JSON.stringify(x),
  ) {}

  push(item: T): void {
    const w = this.waiters.findIndex((x) => x.pred(item));
    if (w >= 0) {
      const [waiter] = this.waiters.splice(w, 1);
      if (waiter) {
        clearTimeout(waiter.timer);
        waiter.resolve(item);
        return;
      }
    }
    this.items.push(item);
  }

  /** The source ended: pending and future waits that nothing buffered can satisfy fail at once. */
  close(reason: string): void {
    if (this.closedReason !== null) return;
    this.closedReason = reason;
    for (const w of this.waiters.splice(0)) {
      clearTimeout(w.timer);
      w.reject(new Error(`${this.label}: ${reason}`));
    }
  }

  get isClosed(): boolean {
    return this.closedReason !== null;
  }

  next(pred: (item: T) => boolean, what: string, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<T> {
    const i = this.items.findIndex(pred);
    if (i >= 0) return Promise.resolve(this.items.splice(i, 1)[0] as T);
    if (this.closedReason !== null) return Promise.reject(new Error(`${this.label}: ${this.closedReason} while waiting for ${what}; buffered: ${this.describe()}`));
    return new Promise<T>((resolve, reject) => {
      const waiter: Waiter<T> = {
        pred,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.waiters.splice(this.waiters.indexOf(waiter), 1);
          reject(new Error(`${this.label}: timed out after ${timeoutMs} ms waiting for ${what}; buffered: ${this.describe()}`));
        }, timeoutMs),
      };
      this.waiters.push(waiter);
    });
  }

  /** How many buffered items match pred (left in the inbox). */
  count(pred: (item: T) => boolean): number {
    return this.items.filter(pred).length;
  }

  /** Buffered items matching pred, removed from the inbox. */
  take(pred: (item: T) => boolean): T[] {
    const out: T[] = [];
    for (let i = 0; i < this.items.length; ) {
      const item = this.items[i] as T;
      if (pred(item)) {
        out.push(item);
        this.items.splice(i, 1);
      } else i++;
    }
    return out;
  }

  describe(): string {
    return this.items.map(this.format).join(' | ').slice(0, 2000) || '(nothing)';
  }
}
