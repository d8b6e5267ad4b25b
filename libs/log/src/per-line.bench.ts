// Cost of one log line: the hand-written logger this package replaced (read from git) against the pino
// one, bare pino as the floor, and pino's own `redact` with wildcard paths (the road not taken). Run: node --import tsx libs/log/src/per-line.bench.ts [baseline-rev] 2>/dev/null
// Results: docs/decisions/0008-logging-and-config.md.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { createLogger, type Logger, SECRET_FIELDS } from './index.ts';

const baselineRev = process.argv[2] ?? '8022178';
const LINES = 20_000;
const ROUNDS = 15;

type Make = (write?: (line: string) => void) => Logger;
const oldSource = execFileSync('git', ['show', `${baselineRev}:libs/log/src/index.ts`], { encoding: 'utf8' });
const oldFile = join(mkdtempSync(join(tmpdir(), 'log-bench-')), 'old-log.ts');
writeFileSync(oldFile, oldSource);
const old = (await import(oldFile)) as { createLogger: typeof createLogger };

const makers: Record<string, Make> = {
  'previous logger': (write) => old.createLogger({ level: 'info', pretty: false, ...(write ? { write } : {}) }),
  'pino + redaction': (write) => createLogger({ level: 'info', pretty: false, ...(write ? { write } : {}) }),
  'bare pino (floor)': (write) => barePino({ base: null }, write),
  'pino redact, wildcard paths': (write) => barePino({ base: null, redact: SECRET_FIELDS.flatMap((f) => [f, `*.${f}`]) }, write),
};

function barePino(opts: Parameters<typeof pino>[0], write?: (line: string) => void): Logger {
  const p = pino(opts ?? {}, write ? { write: (s: string) => write(s) } : pino.destination({ dest: 2, sync: true }));
  const wrap = (l: typeof p): Logger => ({
    level: 'info',
    debug: (m, f) => l.debug(f ?? {}, m),
    info: (m, f) => l.info(f ?? {}, m),
    warn: (m, f) => l.warn(f ?? {}, m),
    error: (m, f) => l.error(f ?? {}, m),
    child: (f) => wrap(l.child(f)),
  });
  return wrap(p);
}

// The lines Parley writes most: a child logger with `svc`, a few flat fields; one with an Error.
const cases: Record<string, (log: Logger, i: number) => void> = {
  'flat fields': (log, i) => log.info('session established', { jid: `user${i}@example.com/phone`, ip: '192.0.2.7', mechanism: 'SCRAM-SHA-256' }),
  'an Error': (log) => log.error('routing failed', { err: boom }),
  'below level (debug)': (log, i) => log.debug('tls established', { protocol: 'TLSv1.3', n: i }),
};
const boom = new Error('connect ECONNREFUSED 127.0.0.1:4222');

/** Rounds interleave the loggers, so that load from other processes falls on all of them alike. */
function medians(run: (log: Logger, i: number) => void, write?: (line: string) => void): number[] {
  const logs = Object.values(makers).map((make) => make(write).child({ svc: 'edge' }));
  for (const log of logs) for (let i = 0; i < 10_000; i++) run(log, i); // warm-up
  const times: number[][] = logs.map(() => []);
  for (let r = 0; r < ROUNDS; r++) {
    logs.forEach((log, k) => {
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < LINES; i++) run(log, i);
      times[k]?.push(Number(process.hrtime.bigint() - t0) / LINES);
    });
  }
  return times.map((t) => t.sort((a, b) => a - b)[Math.floor(t.length / 2)] ?? 0);
}

let sinkBytes = 0;
const sink = (line: string) => {
  sinkBytes += line.length;
};
const rows: string[] = [];
for (const [caseName, run] of Object.entries(cases)) {
  const toSink = medians(run, sink);
  const toFd = medians(run);
  for (const [k, name] of Object.keys(makers).entries()) rows.push(`| ${caseName} | ${name} | ${Math.round(toSink[k] ?? 0)} | ${Math.round(toFd[k] ?? 0)} |`);
}
process.stdout.write(
  `node ${process.version}, ${LINES} lines x ${ROUNDS} interleaved rounds, median ns per line (sink: a function; fd: stderr)\n` +
    `| line | logger | ns/line to a function | ns/line to stderr |\n|---|---|---|---|\n${rows.join('\n')}\n(${sinkBytes} bytes formatted)\n`,
);
