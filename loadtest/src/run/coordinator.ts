// Drives a run: connect every worker's users, run the scenario's setup, warm up, measure for
// --duration, drain in-flight traffic, then close. Samples workers and server processes each second.
import { type StatsDelta, Totals } from '../stats/collector.ts';
import { Histogram } from '../stats/histogram.ts';
import { type ProcSample, sampleProcs } from '../stats/proc.ts';
import type { LoadConfig } from './config.ts';
import type { LoadResult, SeriesPoint } from './result.ts';
import { type WorkerHandle, forkedWorker, inProcessWorker } from './workers.ts';

export type Phase = 'connect' | 'setup' | 'warmup' | 'measure' | 'drain' | 'close' | 'done';

export interface Progress {
  phase: Phase;
  /** Seconds since the run started. */
  elapsed: number;
  /** Seconds from traffic start to the end of the measured window (0 before traffic starts). */
  trafficTotal: number;
  trafficElapsed: number;
  users: number;
  online: number;
  sent: number;
  received: number;
  errors: number;
  msgPerSec: number;
  logins: number;
}

export interface RunHooks {
  progress?(p: Progress): void;
  /** Entry script to fork for workers (defaults to the running script). */
  workerEntry?: string;
}

/** CPU ms per 1,000 delivered messages of each pid readable at both ends of the window. */
function perPidCpu(start: ProcSample | undefined, end: ProcSample | undefined, delivered: number): Record<string, number> {
  const out: Record<string, number> = {};
  if (!start || !end || delivered <= 0) return out;
  for (const [pid, cpu] of end.cpuByPid) {
    const before = start.cpuByPid.get(pid);
    if (before !== undefined) out[pid] = Math.round(((cpu - before) * 1e7) / delivered) / 10;
  }
  return out;
}

function epochMs(): number {
  return performance.timeOrigin + performance.now();
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runLoad(cfg: LoadConfig, hooks: RunHooks = {}): Promise<LoadResult> {
  const t0 = epochMs();
  const startedAt = new Date().toISOString();
  const totals = new Totals();
  const series: SeriesPoint[] = [];
  let phase: Phase = 'connect';
  let online = 0;
  let maxOnline = 0;
  let maxLoopDelay = 0;
  let lastRate = 0;
  let trafficStart = 0;
  let windowStart = Number.POSITIVE_INFINITY;
  let windowEnd = Number.POSITIVE_INFINITY;
  const serverBefore: ProcSample | undefined = cfg.serverPids.length ? sampleProcs(cfg.serverPids) : undefined;
  let serverLast = serverBefore;
  let serverAtWindowStart: ProcSample | undefined;
  let serverAtWindowEnd: ProcSample | undefined;
  let serverRssMax = serverBefore?.rssKb ?? 0;
  let genCpuAtWindowStart = 0;
  let genCpuAtWindowEnd = 0;
  const parentCpu0 = process.cpuUsage();

  const workers: WorkerHandle[] =
    cfg.workers === 1
      ? [inProcessWorker(cfg, 0)]
      : await Promise.all(Array.from({ length: cfg.workers }, (_, i) => forkedWorker(cfg, i, hooks.workerEntry)));

  let lastPoll = epochMs();
  let polling: Promise<void> | undefined;
  const pollOnce = async (): Promise<void> => {
    const deltas: StatsDelta[] = await Promise.all(workers.map((w) => w.takeDelta()));
    const now = epochMs();
    const dt = Math.max(1e-3, (now - lastPoll) / 1000);
    lastPoll = now;
    const interval = new Histogram();
    let sent = 0;
    let received = 0;
    let errors = 0;
    let logins = 0;
    online = 0;
    for (const d of deltas) {
      totals.add(d);
      interval.merge(d.latency);
      sent += d.sent;
      received += d.received;
      logins += d.logins;
      online += d.online;
      for (const v of Object.values(d.errors)) errors += v;
      if (phase === 'measure') maxLoopDelay = Math.max(maxLoopDelay, d.loopDelayP99Ms);
    }
    maxOnline = Math.max(maxOnline, online);
    lastRate = received / dt;
    let serverCpuPct: number | undefined;
    let serverRssKb: number | undefined;
    if (cfg.serverPids.length) {
      const s = sampleProcs(cfg.serverPids);
      serverCpuPct = serverLast ? ((s.cpuSeconds - serverLast.cpuSeconds) / dt) * 100 : undefined;
      serverRssKb = s.rssKb;
      serverRssMax = Math.max(serverRssMax, s.rssKb);
      serverLast = s;
    }
    series.push({
      t: (now - t0) / 1000,
      phase,
      online,
      sentPerSec: sent / dt,
      receivedPerSec: received / dt,
      loginsPerSec: logins / dt,
      errors,
      latencyP50Ms: interval.quantile(0.5) / 1000,
      latencyP99Ms: interval.quantile(0.99) / 1000,
      latencyMaxMs: interval.max / 1000,
      generatorCpuPct: (deltas.reduce((a, d) => a + d.cpuMicros, 0) / 1e6 / dt) * 100,
      serverCpuPct,
      serverRssKb,
    });
    hooks.progress?.({
      phase,
      elapsed: (now - t0) / 1000,
      trafficTotal: trafficStart ? (windowEnd - trafficStart) / 1000 : 0,
      trafficElapsed: trafficStart ? Math.min(now, windowEnd) / 1000 - trafficStart / 1000 : 0,
      users: cfg.users,
      online,
      sent: totals.sent,
      received: totals.received,
      errors: totals.errorCount(),
      msgPerSec: lastRate,
      logins: totals.logins,
    });
  };
  const poll = (): Promise<void> => {
    polling = (polling ?? Promise.resolve()).then(pollOnce);
    return polling;
  };
  const ticker = setInterval(() => void poll(), 1000);

  try {
    const connected = (await Promise.all(workers.map((w) => w.connect()))).flat();
    phase = 'setup';
    const ready = (await Promise.all(workers.map((w) => w.setup(connected)))).flat();
    const readySet = cfg.scenario === 'login' ? [] : ready;

    phase = 'warmup';
    trafficStart = epochMs();
    windowStart = trafficStart + cfg.warmup * 1000;
    windowEnd = windowStart + cfg.duration * 1000;
    await Promise.all(workers.map((w) => w.start(readySet, windowStart, windowEnd)));

    await sleep(Math.max(0, windowStart - epochMs()));
    await poll();
    phase = 'measure';
    serverAtWindowStart = cfg.serverPids.length ? sampleProcs(cfg.serverPids) : undefined;
    genCpuAtWindowStart = totals.generatorCpuMicros;
    await sleep(Math.max(0, windowEnd - epochMs()));
    await poll();
    serverAtWindowEnd = cfg.serverPids.length ? sampleProcs(cfg.serverPids) : undefined;
    genCpuAtWindowEnd = totals.generatorCpuMicros;

    phase = 'drain';
    await Promise.all(workers.map((w) => w.stopTraffic()));
    const drainEnd = epochMs() + cfg.drain * 1000;
    while (totals.measuredReceived < totals.measuredExpected && epochMs() < drainEnd) {
      await sleep(100);
      await poll();
    }
    phase = 'close';
  } finally {
    clearInterval(ticker);
    await polling;
    await poll();
    for (const last of await Promise.all(workers.map((w) => w.close()))) totals.add(last);
  }
  phase = 'done';

  const windowSeconds = cfg.duration;
  const serverAfter = cfg.serverPids.length ? sampleProcs(cfg.serverPids) : undefined;
  const lat = totals.measuredLatency;
  const ms = (us: number) => Math.round(us) / 1000;
  const parentCpu = process.cpuUsage(parentCpu0);
  const genWindowCpuS =
    (genCpuAtWindowEnd - genCpuAtWindowStart) / 1e6 +
    (cfg.workers > 1 ? ((parentCpu.user + parentCpu.system) / 1e6) * (windowSeconds / ((epochMs() - t0) / 1000)) : 0);
  const deliveredInWindow = totals.windowReceived;
  const handledInWindow = deliveredInWindow + totals.measuredSent;
  const serverWindowCpuS =
    serverAtWindowStart && serverAtWindowEnd ? serverAtWindowEnd.cpuSeconds - serverAtWindowStart.cpuSeconds : undefined;

  return {
    label: cfg.label,
    scenario: cfg.scenario,
    startedAt,
    config: { ...cfg },
    users: cfg.users,
    maxOnline,
    windowSeconds,
    messages: {
      sent: totals.measuredSent,
      expected: totals.measuredExpected,
      received: totals.measuredReceived,
      lost: Math.max(0, totals.measuredExpected - totals.measuredReceived),
      sentTotal: totals.sent,
      receivedTotal: totals.received,
    },
    throughput: {
      sentPerSec: totals.measuredSent / windowSeconds,
      deliveredPerSec: deliveredInWindow / windowSeconds,
      loginsPerSec: totals.windowLogins / windowSeconds,
    },
    latencyMs: {
      count: lat.count,
      p50: ms(lat.quantile(0.5)),
      p90: ms(lat.quantile(0.9)),
      p99: ms(lat.quantile(0.99)),
      p999: ms(lat.quantile(0.999)),
      max: ms(lat.max),
      mean: ms(lat.mean()),
    },
    authMs: { count: totals.auth.count, p50: ms(totals.auth.quantile(0.5)), p99: ms(totals.auth.quantile(0.99)), max: ms(totals.auth.max) },
    loginMs: {
      count: totals.login.count,
      p50: ms(totals.login.quantile(0.5)),
      p99: ms(totals.login.quantile(0.99)),
      max: ms(totals.login.max),
    },
    logins: totals.logins,
    connectAttempts: totals.connectAttempts,
    errors: Object.fromEntries([...totals.errors].sort((a, b) => b[1] - a[1])),
    errorTotal: totals.errorCount(),
    server: serverBefore
      ? {
          pids: cfg.serverPids,
          cpuSecondsInWindow: serverWindowCpuS ?? 0,
          cpuMsPer1000Delivered:
            serverWindowCpuS !== undefined && deliveredInWindow > 0 ? (serverWindowCpuS * 1e6) / deliveredInWindow : undefined,
          cpuPctAvg: serverWindowCpuS !== undefined ? (serverWindowCpuS / windowSeconds) * 100 : undefined,
          cpuMsPer1000DeliveredByPid: perPidCpu(serverAtWindowStart, serverAtWindowEnd, deliveredInWindow),
          rssKbBefore: serverBefore.rssKb,
          rssKbAfter: serverAfter?.rssKb ?? 0,
          rssKbMax: serverRssMax,
          rssKbPerConnection: maxOnline > 0 ? (serverRssMax - serverBefore.rssKb) / maxOnline : undefined,
          missingPids: serverAfter?.missing ?? [],
        }
      : undefined,
    generator: {
      workers: cfg.workers,
      cpuSecondsInWindow: genWindowCpuS,
      cpuPctAvg: (genWindowCpuS / windowSeconds) * 100,
      cpuMsPer1000Messages: handledInWindow > 0 ? (genWindowCpuS * 1e6) / handledInWindow : undefined,
      eventLoopDelayP99MaxMs: Math.round(maxLoopDelay * 10) / 10,
    },
    series,
  };
}
