// Structured logging on pino: one JSON object per line on stderr, or a short human line on a TTY.
// Secrets are censored by field name and URL passwords masked (redact.ts); the cost per line is
// measured in docs/decisions/0008-logging-and-config.md (bench/per-line.ts). The cause of a failure goes here; only the condition
// and text cross the wire (STYLE.md §7).
import { type DestinationStream, destination, type Logger as PinoLogger, pino } from 'pino';
import { prettyLine } from './pretty.ts';
import { maskUrlCredentials, scrubFields } from './redact.ts';

export { CENSORED, maskUrlCredentials, SECRET_FIELDS } from './redact.ts';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';
const LEVELS: readonly string[] = ['debug', 'info', 'warn', 'error', 'silent'] satisfies LogLevel[];

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
  readonly level: LogLevel;
}

export function isLogLevel(s: string): s is LogLevel {
  return LEVELS.includes(s);
}

export interface LoggerOptions {
  level?: LogLevel;
  /** Human lines instead of JSON; default: when stderr is a terminal. */
  pretty?: boolean;
  /** Receives each line without its newline; default: stderr. */
  write?: (line: string) => void;
}

// The line format the cluster harness and operators read: {"level":"info","t":"<ISO 8601>",…,"msg":…}.
// Formatting the date is a third of a line's cost; lines within the same millisecond share it.
let lastMs = 0;
let lastT = '';
const timestamp = () => {
  const now = Date.now();
  if (now !== lastMs) {
    lastMs = now;
    lastT = `,"t":"${new Date(now).toISOString()}"`;
  }
  return lastT;
};

export function createLogger(opts: LoggerOptions = {}, base: Record<string, unknown> = {}): Logger {
  const level = opts.level ?? 'info';
  if (level === 'silent') return silentLogger;
  const pretty = opts.pretty ?? process.stderr.isTTY === true;
  const root = pino(
    {
      level,
      base: null,
      messageKey: 'msg',
      timestamp,
      formatters: { level: (label) => ({ level: label }), log: scrubFields },
      // scrubFields already serialized Errors under any name, `err` included: pino must not again.
      serializers: { msg: maskUrlCredentials, err: (v: unknown) => v },
    },
    sink(opts.write, pretty),
  );
  const log = wrap(root, level);
  return Object.keys(base).length > 0 ? log.child(base) : log;
}

function sink(write: ((line: string) => void) | undefined, pretty: boolean): DestinationStream {
  if (pretty) {
    const out = write ?? ((line: string) => process.stderr.write(`${line}\n`));
    return { write: (json) => out(prettyLine(json)) };
  }
  if (write) return { write: (json) => write(json.endsWith('\n') ? json.slice(0, -1) : json) };
  // Synchronous like process.stderr on a pipe or file: the last lines before an exit are not lost.
  return destination({ dest: 2, sync: true });
}

function wrap(p: PinoLogger, level: LogLevel): Logger {
  return {
    level,
    debug: (m, f) => (f ? p.debug(f, m) : p.debug(m)),
    info: (m, f) => (f ? p.info(f, m) : p.info(m)),
    warn: (m, f) => (f ? p.warn(f, m) : p.warn(m)),
    error: (m, f) => (f ? p.error(f, m) : p.error(m)),
    // pino applies formatters.bindings to the root's bindings only; a child's are scrubbed here.
    child: (fields) => wrap(p.child(scrubFields(fields)), level),
  };
}

const nothing = () => {};
export const silentLogger: Logger = {
  level: 'silent',
  debug: nothing,
  info: nothing,
  warn: nothing,
  error: nothing,
  child: () => silentLogger,
};
