// Server-side figures from /proc: CPU time (utime + stime, all threads) and resident memory of the
// server processes under test. Linux only; other systems report nothing rather than a wrong figure.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

let ticks: number | undefined;

/** Clock ticks per second used by /proc/<pid>/stat (getconf CLK_TCK; 100 on nearly every Linux). */
export function clockTicks(): number {
  if (ticks === undefined) {
    try {
      ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticks = 100;
    }
  }
  return ticks;
}

/** utime + stime of a /proc/<pid>/stat line, in clock ticks. */
export function parseStatCpuTicks(stat: string): number {
  // proc(5): fields after the parenthesised command name (which may contain spaces); utime and
  // stime are fields 14 and 15 overall, i.e. 12th and 13th after the ")".
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(rest[11]) + Number(rest[12]);
}

/** VmRSS of a /proc/<pid>/status text, in kB. */
export function parseStatusRssKb(status: string): number | undefined {
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  return m ? Number(m[1]) : undefined;
}

export interface ProcSample {
  /** Seconds of CPU used so far, summed over the pids that could be read. */
  cpuSeconds: number;
  /** kB resident, summed. */
  rssKb: number;
  /** Pids that could not be read (exited, or not Linux). */
  missing: number[];
  /** Seconds of CPU used so far by each pid that could be read. */
  cpuByPid: Map<number, number>;
}

export function sampleProcs(pids: readonly number[]): ProcSample {
  const s: ProcSample = { cpuSeconds: 0, rssKb: 0, missing: [], cpuByPid: new Map() };
  for (const pid of pids) {
    try {
      const cpu = parseStatCpuTicks(readFileSync(`/proc/${pid}/stat`, 'utf8')) / clockTicks();
      s.cpuSeconds += cpu;
      s.cpuByPid.set(pid, cpu);
      s.rssKb += parseStatusRssKb(readFileSync(`/proc/${pid}/status`, 'utf8')) ?? 0;
    } catch {
      s.missing.push(pid);
    }
  }
  return s;
}
