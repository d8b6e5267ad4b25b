// Counters and histograms kept by each worker, shipped to the coordinator as per-second deltas.
// "Measured" counts only traffic whose send timestamp falls inside the measured window, so the
// warm-up and the drain never leak into the figures and sent == received is exact when nothing is lost.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Histogram, type HistogramJSON } from './histogram.ts';

export interface StatsDelta {
  /** Connections currently online (a gauge, not a delta). */
  online: number;
  connectAttempts: number;
  logins: number;
  /** Logins completed inside the measured window. */
  windowLogins: number;
  sent: number;
  received: number;
  measuredSent: number;
  measuredExpected: number;
  measuredReceived: number;
  /** Messages received while inside the measured window (for server CPU per delivered message). */
  windowReceived: number;
  errors: Record<string, number>;
  /** Latency (µs) of everything received in this interval, warm-up included: for the time plots. */
  latency: HistogramJSON;
  /** Latency (µs) of measured messages only. */
  measuredLatency: HistogramJSON;
  /** Time (µs) from <auth/> to <success/>. */
  auth: HistogramJSON;
  /** Time (µs) from TCP connect to an online session. */
  login: HistogramJSON;
  /** Generator CPU time in µs (user + system) spent in this interval. */
  cpuMicros: number;
  /** p99 event-loop delay of the worker in this interval (ms): high values mean the generator lags. */
  loopDelayP99Ms: number;
}

export class WorkerStats {
  online = 0;
  window = { start: Number.POSITIVE_INFINITY, end: Number.POSITIVE_INFINITY };
  private d = WorkerStats.empty();
  private cpu = process.cpuUsage();
  private loop = monitorEventLoopDelay({ resolution: 10 });

  constructor() {
    this.loop.enable();
  }

  dispose(): void {
    this.loop.disable();
  }

  private static empty() {
    return {
      connectAttempts: 0,
      logins: 0,
      windowLogins: 0,
      sent: 0,
      received: 0,
      measuredSent: 0,
      measuredExpected: 0,
      measuredReceived: 0,
      windowReceived: 0,
      errors: new Map<string, number>(),
      latency: new Histogram(),
      measuredLatency: new Histogram(),
      auth: new Histogram(),
      login: new Histogram(),
    };
  }

  inWindow(epochMs: number): boolean {
    return epochMs >= this.window.start && epochMs < this.window.end;
  }

  error(kind: string): void {
    this.d.errors.set(kind, (this.d.errors.get(kind) ?? 0) + 1);
  }

  attempt(): void {
    this.d.connectAttempts++;
  }

  loggedIn(authMs: number, totalMs: number, nowMs: number): void {
    this.d.logins++;
    if (this.inWindow(nowMs)) this.d.windowLogins++;
    this.d.auth.record(authMs * 1000);
    this.d.login.record(totalMs * 1000);
  }

  /** A message (or status) left a sender at `sentAtMs`, expected by `fanout` recipients. */
  sentOne(sentAtMs: number, fanout: number): void {
    this.d.sent++;
    if (this.inWindow(sentAtMs)) {
      this.d.measuredSent++;
      this.d.measuredExpected += fanout;
    }
  }

  receivedOne(sentAtMs: number, nowMs: number): void {
    const latencyUs = (nowMs - sentAtMs) * 1000;
    this.d.received++;
    this.d.latency.record(latencyUs);
    if (this.inWindow(nowMs)) this.d.windowReceived++;
    if (this.inWindow(sentAtMs)) {
      this.d.measuredReceived++;
      this.d.measuredLatency.record(latencyUs);
    }
  }

  takeDelta(): StatsDelta {
    const d = this.d;
    this.d = WorkerStats.empty();
    const cpu = process.cpuUsage(this.cpu);
    this.cpu = process.cpuUsage();
    const loopDelayP99Ms = this.loop.count ? this.loop.percentile(99) / 1e6 : 0;
    this.loop.reset();
    return {
      online: this.online,
      connectAttempts: d.connectAttempts,
      logins: d.logins,
      windowLogins: d.windowLogins,
      sent: d.sent,
      received: d.received,
      measuredSent: d.measuredSent,
      measuredExpected: d.measuredExpected,
      measuredReceived: d.measuredReceived,
      windowReceived: d.windowReceived,
      errors: Object.fromEntries(d.errors),
      latency: d.latency.toJSON(),
      measuredLatency: d.measuredLatency.toJSON(),
      auth: d.auth.toJSON(),
      login: d.login.toJSON(),
      cpuMicros: cpu.user + cpu.system,
      loopDelayP99Ms,
    };
  }
}

/** Running totals at the coordinator, summed over workers and intervals. */
export class Totals {
  connectAttempts = 0;
  logins = 0;
  windowLogins = 0;
  sent = 0;
  received = 0;
  measuredSent = 0;
  measuredExpected = 0;
  measuredReceived = 0;
  windowReceived = 0;
  generatorCpuMicros = 0;
  errors = new Map<string, number>();
  measuredLatency = new Histogram();
  auth = new Histogram();
  login = new Histogram();

  add(d: StatsDelta): void {
    this.connectAttempts += d.connectAttempts;
    this.logins += d.logins;
    this.windowLogins += d.windowLogins;
    this.sent += d.sent;
    this.received += d.received;
    this.measuredSent += d.measuredSent;
    this.measuredExpected += d.measuredExpected;
    this.measuredReceived += d.measuredReceived;
    this.windowReceived += d.windowReceived;
    this.generatorCpuMicros += d.cpuMicros;
    for (const [k, v] of Object.entries(d.errors)) this.errors.set(k, (this.errors.get(k) ?? 0) + v);
    this.measuredLatency.merge(d.measuredLatency);
    this.auth.merge(d.auth);
    this.login.merge(d.login);
  }

  errorCount(): number {
    let n = 0;
    for (const v of this.errors.values()) n += v;
    return n;
  }
}
