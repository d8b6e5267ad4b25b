import { type Bus, type BusHandler, busError, type Subscription } from './bus.ts';

interface Sub<T> {
  handler: BusHandler<T>;
  queue?: string;
}

/**
 * In-process bus for embedded mode. Messages are passed by reference: senders must not mutate
 * a message after handing it over. Delivery is asynchronous (microtask) so that a publisher
 * never re-enters its own code, and per-subject order is preserved.
 */
export class LocalBus<T> implements Bus<T> {
  private readonly subs = new Map<string, Sub<T>[]>();
  private readonly rr = new Map<string, number>();
  private closed = false;

  constructor(private readonly onHandlerError: (err: unknown, subject: string) => void = () => {}) {}

  publish(subject: string, msg: T): void {
    if (this.closed) return;
    for (const sub of this.pick(subject)) {
      queueMicrotask(() => {
        try {
          const r = sub.handler(msg, subject);
          if (r instanceof Promise) r.catch((e) => this.onHandlerError(e, subject));
        } catch (e) {
          this.onHandlerError(e, subject);
        }
      });
    }
  }

  request(subject: string, msg: T, opts: { timeoutMs?: number } = {}): Promise<T> {
    if (this.closed) return Promise.reject(busError('closed', 'bus closed'));
    const targets = this.pick(subject);
    const sub = targets[0];
    if (!sub) return Promise.reject(busError('no-responders', `no responders on ${subject}`));
    const timeoutMs = opts.timeoutMs ?? 5000;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(busError('timeout', `request to ${subject} timed out`)), timeoutMs);
      queueMicrotask(() => {
        Promise.resolve()
          .then(() => sub.handler(msg, subject))
          .then(
            (reply) => {
              clearTimeout(timer);
              if (reply === undefined) reject(busError('handler-failed', `no reply from ${subject}`));
              else resolve(reply);
            },
            (err) => {
              clearTimeout(timer);
              this.onHandlerError(err, subject);
              reject(busError('handler-failed', `handler on ${subject} failed`));
            },
          );
      });
    });
  }

  subscribe(subject: string, handler: BusHandler<T>, opts: { queue?: string } = {}): Subscription {
    const entry: Sub<T> = { handler, queue: opts.queue };
    const list = this.subs.get(subject) ?? [];
    list.push(entry);
    this.subs.set(subject, list);
    return {
      unsubscribe: () => {
        const cur = this.subs.get(subject);
        if (!cur) return;
        const next = cur.filter((s) => s !== entry);
        if (next.length) this.subs.set(subject, next);
        else this.subs.delete(subject);
      },
    };
  }

  async flush(): Promise<void> {
    // Microtasks queued before this point run before this resolves.
    await new Promise<void>((r) => setImmediate(r));
  }

  /** In one process nothing disconnects. */
  onReconnect(): () => void {
    return () => {};
  }

  async close(): Promise<void> {
    this.closed = true;
    this.subs.clear();
  }

  /** Plain subscribers all get the message; each queue group gets it once, round-robin. */
  private pick(subject: string): Sub<T>[] {
    const list = this.subs.get(subject);
    if (!list || list.length === 0) return [];
    if (list.length === 1) return list;
    const out: Sub<T>[] = [];
    const groups = new Map<string, Sub<T>[]>();
    for (const s of list) {
      if (!s.queue) out.push(s);
      else {
        const g = groups.get(s.queue) ?? [];
        g.push(s);
        groups.set(s.queue, g);
      }
    }
    for (const [q, g] of groups) {
      const k = `${subject} ${q}`;
      const i = (this.rr.get(k) ?? 0) % g.length;
      this.rr.set(k, i + 1);
      out.push(g[i] as Sub<T>);
    }
    return out;
  }
}
