// Command-line options of parley-load and their defaults.
import { parseArgs } from 'node:util';
import type { Mechanism } from '../client/sasl.ts';
import type { Endpoint, TransportKind } from '../client/transport.ts';

export const SCENARIOS = ['login', 'chat', 'presence', 'muc', 'idle', 'flood'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

export interface LoadConfig {
  scenario: ScenarioName;
  users: number;
  /** Index of the first user: user%d with first 1 gives user1..userN. */
  firstIndex: number;
  userPattern: string;
  passwordPattern: string;
  domain: string;
  endpoints: Endpoint[];
  transport: TransportKind;
  mechanism: Mechanism | 'auto';
  tlsVerify: boolean;
  /** New connections per second (all workers together). */
  arrivalRate: number;
  /** Seconds of measured traffic, after the warm-up. */
  duration: number;
  warmup: number;
  /** Seconds to wait after the measured window for messages still in flight. */
  drain: number;
  /** Messages (or status changes) per second per sending user. */
  msgRate: number;
  /** Body size in bytes (at least the timestamp header). */
  msgSize: number;
  rosterSize: number;
  mucDomain: string;
  roomPattern: string;
  occupants: number;
  senders: number;
  /** muc: room joins per second, all workers together; 0 sends every join at once. */
  joinRate: number;
  /** flood: users (the first ones) that send as fast as they can; the others are measured. */
  flooders: number;
  timeoutMs: number;
  serverPids: number[];
  workers: number;
  resource: string;
  fetchRoster: boolean;
  outDir: string;
  html: boolean;
  quiet: boolean;
  /** Label for the run in reports (e.g. "parley", "ejabberd"). */
  label: string;
}

export const DEFAULTS: LoadConfig = {
  scenario: 'chat',
  users: 100,
  firstIndex: 1,
  userPattern: 'user%d',
  passwordPattern: 'pass%d',
  domain: 'localhost',
  endpoints: [{ host: '127.0.0.1', port: 5222, path: '/xmpp-websocket' }],
  transport: 'starttls',
  mechanism: 'auto',
  tlsVerify: false,
  arrivalRate: 100,
  duration: 30,
  warmup: 5,
  drain: 10,
  msgRate: 1,
  msgSize: 64,
  rosterSize: 10,
  mucDomain: '',
  roomPattern: 'room%d',
  occupants: 20,
  senders: 5,
  joinRate: 0,
  flooders: 1,
  timeoutMs: 30_000,
  serverPids: [],
  workers: 1,
  resource: 'load',
  fetchRoster: true,
  outDir: '',
  html: true,
  quiet: false,
  label: '',
};

/** Replaces every %d with the index (the convention of tsung and ejabberd's bulk tools). */
export function formatPattern(pattern: string, index: number): string {
  return pattern.replace(/%d/g, String(index));
}

export const USAGE = `Usage: parley-load [scenario] [options]

Scenarios: login | chat (default) | presence | muc | idle | flood

Connection
  --host H            server address; repeat or comma-separate for several edges (127.0.0.1)
  --port P            port(s); each host×port pair is an endpoint, connections round-robin (5222)
  --transport T       starttls | tls (direct TLS) | tcp (no TLS) | ws | wss (starttls)
  --ws-path PATH      WebSocket path (/xmpp-websocket)
  --domain D          XMPP domain (localhost)
  --sasl M            auto | PLAIN | SCRAM-SHA-1 | SCRAM-SHA-256 (auto: strongest offered)
  --tls-verify        verify the server certificate (off by default)
  --no-roster         skip the roster fetch after binding
  --timeout S         per negotiation step (30)
Users
  --users N           number of users (100)
  --first-index I     first user index (1)
  --user-pattern P    user name pattern, %d is the index (user%d)
  --password-pattern  password pattern (pass%d)
Load
  --arrival-rate R    new connections per second (100)
  --duration S        measured seconds (30)
  --warmup S          seconds of traffic before measuring (5)
  --drain S           seconds to wait for in-flight messages after the window (10)
  --msg-rate R        messages (chat, muc) or status changes (presence) per second per sender (1)
  --msg-size B        message body bytes (64)
  --roster-size R     presence: contacts per user (10)
  --flooders N        flood: the first N users send as fast as they can; the others are measured (1)
  --muc-domain D      muc: chatroom service (conference.<domain>)
  --room-pattern P    muc: room name pattern (room%d)
  --occupants N       muc: occupants per room (20)
  --senders M         muc: senders per room (5)
  --join-rate R       muc: room joins per second after the logins (0: all at once)
  --workers N         spread connections over N processes (1)
Measurement and output
  --server-pid PID    server process to sample for CPU time and RSS (repeatable)
  --out DIR           write result.json and report.html there (parley-load-results/<scenario>-<time>)
  --no-html           skip the HTML report
  --label NAME        name of the system under test, shown in reports
  --quiet             no progress output
  -h, --help`;

export class UsageError extends Error {}

function num(v: string | undefined, name: string, fallback: number, min = 0): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isFinite(n) || n < min) throw new UsageError(`--${name} must be a number ≥ ${min}`);
  return n;
}

function list(v: string[] | undefined): string[] {
  return (v ?? []).flatMap((x) => x.split(',')).map((x) => x.trim()).filter(Boolean);
}

export function parseConfig(argv: string[]): LoadConfig | 'help' {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      scenario: { type: 'string' },
      host: { type: 'string', multiple: true },
      port: { type: 'string', multiple: true },
      transport: { type: 'string' },
      'ws-path': { type: 'string' },
      domain: { type: 'string' },
      sasl: { type: 'string' },
      'tls-verify': { type: 'boolean' },
      'no-roster': { type: 'boolean' },
      timeout: { type: 'string' },
      users: { type: 'string' },
      'first-index': { type: 'string' },
      'user-pattern': { type: 'string' },
      'password-pattern': { type: 'string' },
      'arrival-rate': { type: 'string' },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      drain: { type: 'string' },
      'msg-rate': { type: 'string' },
      'msg-size': { type: 'string' },
      'roster-size': { type: 'string' },
      'muc-domain': { type: 'string' },
      'room-pattern': { type: 'string' },
      occupants: { type: 'string' },
      senders: { type: 'string' },
      'join-rate': { type: 'string' },
      flooders: { type: 'string' },
      workers: { type: 'string' },
      'server-pid': { type: 'string', multiple: true },
      out: { type: 'string' },
      'no-html': { type: 'boolean' },
      label: { type: 'string' },
      quiet: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return 'help';
  const scenario = values.scenario ?? positionals[0] ?? DEFAULTS.scenario;
  if (!(SCENARIOS as readonly string[]).includes(scenario)) throw new UsageError(`unknown scenario "${scenario}"`);
  if (positionals.length > 1) throw new UsageError(`unexpected argument "${positionals[1]}"`);
  const transport = (values.transport ?? DEFAULTS.transport) as TransportKind;
  if (!['starttls', 'tls', 'tcp', 'ws', 'wss'].includes(transport)) throw new UsageError(`unknown transport "${transport}"`);
  const mechanism = (values.sasl ?? 'auto') as Mechanism | 'auto';
  if (!['auto', 'PLAIN', 'SCRAM-SHA-1', 'SCRAM-SHA-256'].includes(mechanism)) {
    throw new UsageError(`unknown SASL mechanism "${mechanism}"`);
  }
  const hosts = list(values.host);
  const ports = list(values.port).map((p) => num(p, 'port', 0, 1));
  const defaultPort = transport === 'tls' ? 5223 : transport === 'ws' || transport === 'wss' ? 5280 : 5222;
  const path = values['ws-path'] ?? '/xmpp-websocket';
  const endpoints: Endpoint[] = [];
  for (const host of hosts.length ? hosts : ['127.0.0.1']) {
    for (const port of ports.length ? ports : [defaultPort]) endpoints.push({ host, port, path });
  }
  const domain = values.domain ?? DEFAULTS.domain;
  const cfg: LoadConfig = {
    ...DEFAULTS,
    scenario: scenario as ScenarioName,
    users: Math.floor(num(values.users, 'users', DEFAULTS.users, 1)),
    firstIndex: Math.floor(num(values['first-index'], 'first-index', DEFAULTS.firstIndex)),
    userPattern: values['user-pattern'] ?? DEFAULTS.userPattern,
    passwordPattern: values['password-pattern'] ?? DEFAULTS.passwordPattern,
    domain,
    endpoints,
    transport,
    mechanism,
    tlsVerify: values['tls-verify'] ?? false,
    fetchRoster: !values['no-roster'],
    timeoutMs: num(values.timeout, 'timeout', DEFAULTS.timeoutMs / 1000, 0.1) * 1000,
    arrivalRate: num(values['arrival-rate'], 'arrival-rate', DEFAULTS.arrivalRate, 0.001),
    duration: num(values.duration, 'duration', DEFAULTS.duration, 0.1),
    warmup: num(values.warmup, 'warmup', DEFAULTS.warmup),
    drain: num(values.drain, 'drain', DEFAULTS.drain),
    msgRate: num(values['msg-rate'], 'msg-rate', DEFAULTS.msgRate),
    msgSize: Math.floor(num(values['msg-size'], 'msg-size', DEFAULTS.msgSize)),
    rosterSize: Math.floor(num(values['roster-size'], 'roster-size', DEFAULTS.rosterSize)),
    mucDomain: values['muc-domain'] ?? `conference.${domain}`,
    roomPattern: values['room-pattern'] ?? DEFAULTS.roomPattern,
    occupants: Math.floor(num(values.occupants, 'occupants', DEFAULTS.occupants, 2)),
    senders: Math.floor(num(values.senders, 'senders', DEFAULTS.senders, 1)),
    joinRate: num(values['join-rate'], 'join-rate', DEFAULTS.joinRate),
    flooders: Math.floor(num(values.flooders, 'flooders', DEFAULTS.flooders, 0)),
    workers: Math.floor(num(values.workers, 'workers', DEFAULTS.workers, 1)),
    serverPids: list(values['server-pid']).map((p) => num(p, 'server-pid', 0, 1)),
    outDir: values.out ?? '',
    html: !values['no-html'],
    quiet: values.quiet ?? false,
    label: values.label ?? '',
  };
  if (cfg.scenario === 'presence' && cfg.rosterSize >= cfg.users) {
    throw new UsageError('--roster-size must be smaller than --users');
  }
  return cfg;
}
