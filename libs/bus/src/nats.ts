// The bus over NATS core for cluster mode (ARCHITECTURE.md, Processes). Client choice and numbers:
// docs/decisions/0003-nats-client.md.
// The client library is imported when a bus connects (types only at load), so an embedded server,
// which never uses NATS, does not hold it in memory (docs/decisions/0035-embedded-server-memory.md).
import type { ConnectionOptions, Msg, MsgHdrs, NatsConnection } from '@nats-io/transport-node';
import { type Bus, type BusError, type BusHandler, busError, type Subscription } from './bus.ts';

export interface BusCodec<T> {
  encode(msg: T): Uint8Array;
  decode(bytes: Uint8Array): T;
}

export interface NatsBusOptions<T> {
  /** One URL or a comma-separated list (`nats://h1:4222,nats://h2:4222`); `tls://` forces TLS. */
  url: string;
  codec: BusCodec<T>;
  /** Connection name shown by the server (`/connz`), e.g. `edge-7f3a`. */
  name?: string;
  user?: string;
  pass?: string;
  token?: string;
  /** `true` requires TLS with the system trust store; an object adds a CA and/or a client certificate. */
  tls?: { caFile?: string; certFile?: string; keyFile?: string } | boolean;
  /** Prepended to every subject (test isolation); a trailing `.` is added when missing. */
  subjectPrefix?: string;
  /** Called when a handler throws or a message cannot be decoded; requests are answered `handler-failed` too. */
  onHandlerError?: (err: unknown, subject: string) => void;
  /** Default request timeout (ms); 5000 like LocalBus. */
  defaultTimeoutMs?: number;
  /** The connection to the server was lost, or is back (for a log line at warn: the item 3). */
  onConnectionChange?: (up: boolean, server: string) => void;
}

/**
 * A failed handler answers with this header and an empty body so the requester fails fast with
 * `handler-failed` instead of waiting for its timeout. An application header, not a status code:
 * the client library treats status replies (e.g. 503) specially.
 */
const ERROR_HEADER = 'Parley-Bus-Error';

type Nats = typeof import('@nats-io/transport-node');

export async function connectNatsBus<T>(opts: NatsBusOptions<T>): Promise<Bus<T>> {
  // nats.js ignores credentials in server URLs: they are taken out and passed as options.
  const { servers, user, pass, token } = splitCredentials(opts.url);
  const copts: ConnectionOptions = {
    servers,
    name: opts.name,
    // MEASUREMENTS.md: without this every request builds an Error with a stack, doubling requester CPU.
    noAsyncTraces: true,
    // Cluster mode rides out a NATS restart; requests made meanwhile time out with `timeout`.
    maxReconnectAttempts: -1,
    reconnectTimeWait: 500,
  };
  const u = opts.user ?? user;
  const p = opts.pass ?? pass;
  const t = opts.token ?? token;
  if (u !== undefined) copts.user = u;
  if (p !== undefined) copts.pass = p;
  if (t !== undefined) copts.token = t;
  if (opts.tls === true) copts.tls = {};
  else if (opts.tls && typeof opts.tls === 'object') copts.tls = { ...opts.tls };
  const nats: Nats = await import('@nats-io/transport-node');
  let nc: NatsConnection;
  try {
    nc = await nats.connect(copts);
  } catch (err) {
    throw new Error(`cannot connect to NATS at ${redactUrl(opts.url)}: ${(err as Error).message}`, { cause: err });
  }
  return new NatsBus(nats, nc, opts);
}

class NatsBus<T> implements Bus<T> {
  private readonly prefix: string;
  private readonly codec: BusCodec<T>;
  private readonly onHandlerError: (err: unknown, subject: string) => void;
  private readonly defaultTimeoutMs: number;
  private readonly subs = new Set<{ unsubscribe(): void }>();
  /** Handlers still running, so close() can let them answer before the connection goes. */
  private readonly inflight = new Set<Promise<unknown>>();
  private readonly reconnectListeners = new Set<() => void>();
  private closed = false;
  /**
   * Publishes, requests and replies made during this turn of the event loop, handed to the client
   * together once the turn's I/O callbacks have run (setImmediate). nats.js writes to its socket on
   * a microtask after the first message it is given, so messages made across awaits (an actor's reply
   * after its Redis and Postgres round trips, each edge connection's hand-off) each cost a socket
   * write; the profile of the cluster bench showed those writes as the largest single share of the
   * session and edge processes' CPU (decision 0036). In order, so per-subject order is kept.
   */
  private outgoing: Array<() => void> = [];
  private sendScheduled = false;

  constructor(
    private readonly nats: Nats,
    private readonly nc: NatsConnection,
    opts: NatsBusOptions<T>,
  ) {
    const p = opts.subjectPrefix ?? '';
    this.prefix = p === '' || p.endsWith('.') ? p : `${p}.`;
    this.codec = opts.codec;
    this.onHandlerError = opts.onHandlerError ?? (() => {});
    this.defaultTimeoutMs = opts.defaultTimeoutMs ?? 5000;
    void this.watchStatus(opts.onConnectionChange ?? (() => {}));
  }

  /**
   * nats.js sends every subscription again first thing on a reconnect, then what was buffered while
   * disconnected; a flush round trip after the `reconnect` event proves the server has them all, so
   * listeners re-synchronising from then on miss nothing published after their reads.
   */
  private async watchStatus(onChange: (up: boolean, server: string) => void): Promise<void> {
    for await (const s of this.nc.status()) {
      if (s.type === 'disconnect') onChange(false, s.server);
      if (s.type !== 'reconnect') continue;
      onChange(true, s.server);
      try {
        await this.nc.flush();
      } catch {
        continue; // lost again: the next reconnect calls the listeners
      }
      for (const l of [...this.reconnectListeners]) {
        try {
          l();
        } catch (err) {
          this.onHandlerError(err, '(reconnect listener)');
        }
      }
    }
  }

  onReconnect(listener: () => void): () => void {
    this.reconnectListeners.add(listener);
    return () => this.reconnectListeners.delete(listener);
  }

  publish(subject: string, msg: T): void {
    if (this.closed) return;
    // Encoded and checked now: the caller may change `msg` afterwards, and a message the server
    // would refuse fails the caller as before rather than later in the flush.
    const bytes = this.codec.encode(msg);
    this.checkSize(bytes, subject);
    const full = this.prefix + subject;
    this.later(() => this.nc.publish(full, bytes));
  }

  private checkSize(bytes: Uint8Array, subject: string): void {
    const max = this.nc.info?.max_payload;
    if (max !== undefined && bytes.length > max) throw busError('handler-failed', `message to ${subject} exceeds the bus's max payload (${bytes.length} > ${max} bytes)`);
  }

  /** Queue `op` for this turn's flush (see `outgoing`). */
  private later(op: () => void): void {
    this.outgoing.push(op);
    if (this.sendScheduled) return;
    this.sendScheduled = true;
    setImmediate(() => this.sendNow());
  }

  /** Hand every queued message to the client, in order; they then share one socket write. */
  private sendNow(): void {
    this.sendScheduled = false;
    const ops = this.outgoing;
    this.outgoing = [];
    for (const op of ops) {
      try {
        op();
      } catch (err) {
        // The connection closed meanwhile: as a publish on a dead connection, the message is lost
        // (the bus is at-most-once; decision 0022 covers what must not be).
        this.onHandlerError(err, '(send)');
      }
    }
  }

  async request(subject: string, msg: T, opts: { timeoutMs?: number } = {}): Promise<T> {
    if (this.closed) throw busError('closed', 'bus closed');
    const data = this.codec.encode(msg);
    this.checkSize(data, subject);
    const full = this.prefix + subject;
    const timeout = opts.timeoutMs ?? this.defaultTimeoutMs;
    let reply: Msg;
    try {
      reply = await new Promise<Msg>((resolve, reject) => this.later(() => this.nc.request(full, data, { timeout }).then(resolve, reject)));
    } catch (err) {
      throw toBusError(this.nats, err, subject);
    }
    if (reply.headers?.has(ERROR_HEADER)) {
      throw busError('handler-failed', `handler on ${subject} failed: ${reply.headers.get(ERROR_HEADER)}`);
    }
    try {
      return this.codec.decode(reply.data);
    } catch (err) {
      throw Object.assign(busError('handler-failed', `undecodable reply from ${subject}`), { cause: err });
    }
  }

  subscribe(subject: string, handler: BusHandler<T>, opts: { queue?: string } = {}): Subscription {
    if (this.closed) return { unsubscribe() {} };
    const cut = this.prefix.length;
    const sub = this.nc.subscribe(this.prefix + subject, {
      queue: opts.queue,
      callback: (err, m) => {
        if (err) {
          // Terminal for this subscription (e.g. permission violation): report, nothing to answer.
          this.onHandlerError(err, subject);
          return;
        }
        this.dispatch(handler, m, cut);
      },
    });
    const entry = {
      unsubscribe: () => {
        this.subs.delete(entry);
        if (!sub.isClosed()) sub.unsubscribe();
      },
    };
    this.subs.add(entry);
    return entry;
  }

  async flush(): Promise<void> {
    if (this.closed) return;
    this.sendNow();
    // A PING/PONG round trip: the server has processed every earlier publish. Subscribers on this
    // connection have been called by then; subscribers elsewhere have at least been sent the message.
    await this.nc.flush();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const s of [...this.subs]) s.unsubscribe();
    // Let handlers already running send their replies (bounded so a stuck handler cannot block shutdown).
    if (this.inflight.size > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled([...this.inflight]),
        new Promise((r) => {
          timer = setTimeout(r, 2000);
        }),
      ]);
      clearTimeout(timer);
    }
    this.sendNow();
    try {
      await this.nc.flush();
    } catch {
      // Already disconnected: nothing left to flush.
    }
    await this.nc.close();
  }

  private dispatch(handler: BusHandler<T>, m: Msg, cut: number): void {
    const subject = m.subject.slice(cut);
    let result: T | undefined | Promise<T | undefined>;
    try {
      result = handler(this.codec.decode(m.data), subject);
    } catch (err) {
      this.fail(m, err, subject);
      return;
    }
    if (result instanceof Promise) {
      const p = result.then(
        (r) => this.answer(m, r, subject),
        (err) => this.fail(m, err, subject),
      );
      this.inflight.add(p);
      void p.finally(() => this.inflight.delete(p));
    } else {
      this.answer(m, result, subject);
    }
  }

  private answer(m: Msg, reply: T | undefined, subject: string): void {
    if (!m.reply) return;
    if (reply === undefined) {
      this.respondError(m, 'no reply');
      return;
    }
    let bytes: Uint8Array;
    try {
      bytes = this.codec.encode(reply);
    } catch (err) {
      this.fail(m, err, subject);
      return;
    }
    this.respond(m, bytes);
  }

  private fail(m: Msg, err: unknown, subject: string): void {
    this.onHandlerError(err, subject);
    // Only the fact of failure crosses the bus; the cause stays in this process's logs.
    if (m.reply) this.respondError(m, 'handler threw');
  }

  private respondError(m: Msg, text: string): void {
    const h: MsgHdrs = this.nats.headers();
    h.set(ERROR_HEADER, text);
    this.respond(m, new Uint8Array(0), h);
  }

  private respond(m: Msg, bytes: Uint8Array, h?: MsgHdrs): void {
    this.later(() => {
      try {
        m.respond(bytes, h ? { headers: h } : undefined);
      } catch (err) {
        // Connection closed while the handler ran: the requester will see a timeout.
        this.onHandlerError(err, m.subject);
      }
    });
  }
}

function toBusError(nats: Nats, err: unknown, subject: string): BusError {
  const { ClosedConnectionError, DrainingConnectionError, NoRespondersError, RequestError, TimeoutError } = nats;
  const chain: unknown[] = [err];
  if (err instanceof Error && err.cause) chain.push(err.cause);
  for (const e of chain) {
    if (e instanceof NoRespondersError || (e instanceof RequestError && e.isNoResponders())) {
      return busError('no-responders', `no responders on ${subject}`);
    }
    if (e instanceof TimeoutError) return busError('timeout', `request to ${subject} timed out`);
    if (e instanceof ClosedConnectionError || e instanceof DrainingConnectionError) {
      return busError('closed', 'bus closed');
    }
  }
  if (err instanceof RequestError && /closed/i.test(err.message)) return busError('closed', 'bus closed');
  // Anything else (permission violation, invalid subject) is not one of the bus's retryable outcomes.
  return Object.assign(busError('handler-failed', `request to ${subject} failed: ${(err as Error).message}`), {
    cause: err,
  });
}

function redactUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/g, '//***@');
}

/**
 * `nats://user:pass@h1:4222,nats://h2:4222` → servers without credentials, and the credentials of
 * the first URL that has any (`user:pass@`, or `token@` for a token).
 */
export function splitCredentials(url: string): { servers: string[]; user?: string; pass?: string; token?: string } {
  const out: { servers: string[]; user?: string; pass?: string; token?: string } = { servers: [] };
  for (const raw of url.split(',').map((x) => x.trim())) {
    const m = /^([a-z]+:\/\/)([^@/]*)@(.*)$/i.exec(raw);
    if (!m) {
      out.servers.push(raw);
      continue;
    }
    out.servers.push(`${m[1]}${m[3]}`);
    if (out.user !== undefined || out.token !== undefined) continue;
    const creds = m[2]!;
    const colon = creds.indexOf(':');
    if (colon < 0) out.token = decodeURIComponent(creds);
    else {
      out.user = decodeURIComponent(creds.slice(0, colon));
      out.pass = decodeURIComponent(creds.slice(colon + 1));
    }
  }
  return out;
}
