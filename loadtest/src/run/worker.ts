// One generator process's share of the users: opens their connections, runs the scenario's setup
// and traffic, and reports statistics deltas. The coordinator drives it (in-process or over IPC).
import type { Element } from '@parley/xml';
import { Connection, LoadError } from '../client/connection.ts';
import { NS, escapeXml } from '../client/xmlText.ts';
import { chatScenario } from '../scenarios/chat.ts';
import { floodScenario } from '../scenarios/flood.ts';
import { idleScenario, loginScenario } from '../scenarios/connections.ts';
import { RateScheduler, nowMs, workerShare } from '../scenarios/logic.ts';
import { mucScenario } from '../scenarios/muc.ts';
import { presenceScenario } from '../scenarios/presence.ts';
import type { Scenario, UserSlot, WorkerContext } from '../scenarios/scenario.ts';
import { WorkerStats } from '../stats/collector.ts';
import { type LoadConfig, formatPattern } from './config.ts';

const TICK_MS = 10;

export class LoadWorker {
  readonly stats = new WorkerStats();
  private readonly local: UserSlot[];
  private readonly scenario: Scenario;
  private ticker: NodeJS.Timeout | undefined;
  private endpointRr = 0;

  constructor(
    private readonly cfg: LoadConfig,
    index: number,
  ) {
    this.local = workerShare(cfg.users, index, cfg.workers).map((ord) => {
      const n = cfg.firstIndex + ord;
      const username = formatPattern(cfg.userPattern, n);
      return {
        ord,
        username,
        password: formatPattern(cfg.passwordPattern, n),
        bare: `${username}@${cfg.domain}`,
        conn: undefined,
        online: false,
        busy: false,
      };
    });
    const ctx: WorkerContext = {
      cfg,
      stats: this.stats,
      local: this.local,
      bareOf: (ord) => `${formatPattern(cfg.userPattern, cfg.firstIndex + ord)}@${cfg.domain}`,
      openUser: (u) => this.openUser(u),
    };
    const make = { chat: chatScenario, presence: presenceScenario, muc: mucScenario, login: loginScenario, idle: idleScenario, flood: floodScenario };
    this.scenario = make[cfg.scenario](ctx);
  }

  /** Connects this worker's users at its share of the arrival rate; resolves with those online. */
  async connect(): Promise<number[]> {
    if (!this.scenario.connectFirst) return [];
    const sched = new RateScheduler(this.cfg.arrivalRate / this.cfg.workers);
    const opening: Promise<boolean>[] = [];
    let next = 0;
    sched.due(nowMs());
    opening.push(...this.local.slice(0, 1).map((u) => this.openUser(u)));
    next = opening.length;
    while (next < this.local.length) {
      await new Promise((r) => setTimeout(r, TICK_MS));
      const n = sched.due(nowMs());
      for (let i = 0; i < n && next < this.local.length; i++) opening.push(this.openUser(this.local[next++]!));
    }
    await Promise.all(opening);
    return this.local.filter((u) => u.online).map((u) => u.ord);
  }

  setup(online: ReadonlySet<number>): Promise<number[]> {
    return this.scenario.setup(online);
  }

  /** Starts traffic; only traffic sent inside [windowStart, windowEnd) (epoch ms) is measured. */
  start(ready: ReadonlySet<number>, windowStart: number, windowEnd: number): void {
    this.stats.window = { start: windowStart, end: windowEnd };
    this.scenario.start(ready);
    this.ticker = setInterval(() => this.scenario.tick(nowMs()), TICK_MS);
  }

  stopTraffic(): void {
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = undefined;
  }

  /** Closes every connection politely and waits (bounded) for the server to close them. */
  async close(): Promise<void> {
    this.stopTraffic();
    const open = this.local.filter((u) => u.conn && u.conn.state.kind !== 'closed');
    await Promise.all(
      open.map(
        (u) =>
          new Promise<void>((resolve) => {
            const c = u.conn!;
            const prev = c.handlers.closed;
            const timer = setTimeout(resolve, 3000);
            c.handlers.closed = (e) => {
              clearTimeout(timer);
              prev(e);
              resolve();
            };
            u.online = false;
            c.close();
          }),
      ),
    );
  }

  async openUser(u: UserSlot): Promise<boolean> {
    const cfg = this.cfg;
    u.busy = true;
    const endpoint = cfg.endpoints[this.endpointRr++ % cfg.endpoints.length]!;
    const conn = new Connection({
      endpoint,
      transport: cfg.transport,
      domain: cfg.domain,
      username: u.username,
      password: u.password,
      resource: `${cfg.resource}${u.ord}`,
      mechanism: cfg.mechanism,
      tls: { verify: cfg.tlsVerify, servername: cfg.domain },
      timeoutMs: cfg.timeoutMs,
      fetchRoster: cfg.fetchRoster,
      sendInitialPresence: true,
    });
    u.conn = conn;
    conn.handlers = {
      stanza: (el) => this.onStanza(u, el),
      closed: (err) => {
        if (u.online) this.stats.online--;
        u.online = false;
        u.busy = false;
        if (err) this.stats.error(err.kind);
      },
    };
    this.stats.attempt();
    try {
      await conn.open();
    } catch (err) {
      this.stats.error(err instanceof LoadError ? err.kind : 'client-bug');
      u.busy = false;
      return false;
    }
    u.online = true;
    this.stats.online++;
    this.stats.loggedIn(conn.timings.auth, conn.timings.total, nowMs());
    return true;
  }

  private onStanza(u: UserSlot, el: Element): void {
    // RFC 6120 §8.2.3: an IQ get/set must be answered; roster pushes and pings get a result,
    // anything else is refused so the server never waits on us.
    if (el.name === 'iq') {
      const type = el.attr('type');
      if (type === 'get' || type === 'set') {
        const id = escapeXml(el.attr('id') ?? '');
        const from = el.attr('from');
        const to = from ? ` to='${escapeXml(from)}'` : '';
        if (el.getChild('query', NS.roster) || el.getChild('ping', 'urn:xmpp:ping')) {
          u.conn?.send(`<iq type='result' id='${id}'${to}/>`);
        } else {
          u.conn?.send(
            `<iq type='error' id='${id}'${to}><error type='cancel'><service-unavailable xmlns='${NS.stanzas}'/></error></iq>`,
          );
        }
      }
    }
    this.scenario.onStanza(u, el);
  }
}
