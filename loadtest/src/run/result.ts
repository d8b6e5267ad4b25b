// The shape of result.json: everything the table and the HTML report are drawn from.
import type { LoadConfig } from './config.ts';

export interface SeriesPoint {
  /** Seconds since the run started. */
  t: number;
  phase: string;
  online: number;
  sentPerSec: number;
  receivedPerSec: number;
  loginsPerSec: number;
  errors: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  latencyMaxMs: number;
  generatorCpuPct: number;
  serverCpuPct: number | undefined;
  serverRssKb: number | undefined;
}

export interface LoadResult {
  label: string;
  scenario: string;
  startedAt: string;
  config: LoadConfig;
  users: number;
  maxOnline: number;
  windowSeconds: number;
  /** Traffic sent inside the measured window, and its deliveries (after the drain). */
  messages: {
    sent: number;
    /** Deliveries expected: one per chat message, one per ready contact or occupant for presence and muc. */
    expected: number;
    received: number;
    lost: number;
    sentTotal: number;
    receivedTotal: number;
  };
  throughput: { sentPerSec: number; deliveredPerSec: number; loginsPerSec: number };
  latencyMs: { count: number; p50: number; p90: number; p99: number; p999: number; max: number; mean: number };
  authMs: { count: number; p50: number; p99: number; max: number };
  loginMs: { count: number; p50: number; p99: number; max: number };
  logins: number;
  connectAttempts: number;
  errors: Record<string, number>;
  errorTotal: number;
  server:
    | {
        pids: number[];
        cpuSecondsInWindow: number;
        /** Server CPU ms per 1,000 messages delivered in the window: fair when the generator shares the machine. */
        cpuMsPer1000Delivered: number | undefined;
        cpuPctAvg: number | undefined;
        /** The same per server pid (which role costs what in a cluster); pids unreadable at either end are left out. */
        cpuMsPer1000DeliveredByPid: Record<string, number>;
        rssKbBefore: number;
        rssKbAfter: number;
        rssKbMax: number;
        rssKbPerConnection: number | undefined;
        missingPids: number[];
      }
    | undefined;
  generator: {
    workers: number;
    cpuSecondsInWindow: number;
    cpuPctAvg: number;
    /** Generator CPU ms per 1,000 messages handled (sent + received) in the window. */
    cpuMsPer1000Messages: number | undefined;
    eventLoopDelayP99MaxMs: number;
  };
  series: SeriesPoint[];
}
