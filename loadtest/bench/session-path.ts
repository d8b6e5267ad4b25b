// The embedded message hot path, without sockets: CPU per 1,000 messages through the session actors.
//
//   node --import tsx loadtest/bench/session-path.ts [--messages 6000] [--users 300] [--in-flight 4] [--trace]
//        [--postgres URL] [--no-prefs-cache] [--shared-buffers-mb 16]
//
// Wires the session service as `parley start` does (the server's modules with default settings, the
// cached privacy policies, the in-process bus and location service, PGlite in a fresh data
// directory, or a scratch Postgres schema with --postgres), puts USERS accounts online on one fake
// edge, and hands it MESSAGES chat messages (user i → user i+1, 64-character bodies) with
// IN-FLIGHT hand-offs outstanding, as the edge does. Prints the process CPU (user + system) per
// 1,000 delivered messages over the measured part (after a warm-up), and with --trace the store
// statements per message and their time. CPU, not wall time, is the figure to compare: the machine
// is shared, and another process's load changes latency far more than this process's CPU.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { LocalBus } from '@parley/bus';
import * as cli from '@parley/cli';
import { loadConfig } from '@parley/config';
import { MemoryLocation } from '@parley/location';
import { createLogger } from '@parley/log';
import { buildSessionService } from '@parley/session';
import { createStore, migrate, openPglite, openScratchPostgres, type Sql } from '@parley/store';
import { actorSubject, edgeSubject } from '@parley/subjects';
import type { ActorReply, WireMessage } from '@parley/wire';
import { parseFragment } from '@parley/xml';
import { Registry } from 'prom-client';

const { values } = parseArgs({
  options: {
    messages: { type: 'string', default: '6000' },
    warmup: { type: 'string', default: '1000' },
    users: { type: 'string', default: '300' },
    'in-flight': { type: 'string', default: '4' },
    trace: { type: 'boolean', default: false },
    'no-prefs-cache': { type: 'boolean', default: false },
    'shared-buffers-mb': { type: 'string', default: '16' },
    postgres: { type: 'string' },
  },
});
const MESSAGES = Number(values.messages);
const WARMUP = Number(values.warmup);
const USERS = Number(values.users);
const IN_FLIGHT = Number(values['in-flight']);
const DOMAIN = 'localhost';

/** Statement tally: count and time per statement text (first line, parameters aside). */
const tally = new Map<string, { n: number; ms: number }>();
function traced(sql: Sql): Sql {
  const note = (text: string, t0: number) => {
    const key = text.replace(/\s+/g, ' ').slice(0, 70);
    const e = tally.get(key) ?? { n: 0, ms: 0 };
    e.n++;
    e.ms += performance.now() - t0;
    tally.set(key, e);
  };
  const wrap = (s: Sql): Sql => ({
    async query(text, params) {
      const t0 = performance.now();
      try {
        return await s.query(text, params);
      } finally {
        note(text, t0);
      }
    },
    exec: (text) => s.exec(text),
    transaction: (fn) => {
      const t0 = performance.now();
      return s.transaction((tx) => fn(wrap(tx))).finally(() => note('(transaction, whole)', t0));
    },
    close: () => s.close(),
  });
  return wrap(sql);
}

const dataDir = mkdtempSync(join(tmpdir(), 'parley-session-path-'));
// A scratch schema (dropped when the store closes) on the given Postgres, or PGlite as embedded.
const raw = values.postgres ? await openScratchPostgres(values.postgres) : await openPglite(join(dataDir, 'db'), { sharedBuffersMb: Number(values['shared-buffers-mb']) });
await migrate(raw);
const sql = values.trace ? traced(raw) : raw;
const store = createStore(sql);
const config = loadConfig({ PARLEY_DATA_DIR: dataDir, PARLEY_DOMAIN: DOMAIN });
const bus = new LocalBus<WireMessage>((err, subject) => console.error('bus handler failed', subject, err));
const location = new MemoryLocation();
cli.shareCachedPrivacy(store, bus);
// Absent in builds before the preferences cache (the bench runs on those too, for A/B figures).
if (!values['no-prefs-cache']) cli.shareCachedArchivePrefs?.(store, bus);
const modules = cli.loadServerModules(config, new Registry());
const session = buildSessionService({ domain: DOMAIN, bus, location, store, log: createLogger({ level: 'warn' }), modules });
session.start();

let delivered = 0;
bus.subscribe(edgeSubject('bench-edge'), (m) => {
  if ('kind' in m && m.kind === 'deliver') delivered += m.targets.length;
  return undefined;
});
const user = (i: number) => `user${(i % USERS) + 1}@${DOMAIN}`;
for (let i = 0; i < USERS; i++) {
  await store.users.create(`user${i + 1}`, DOMAIN, []);
  await location.register({ jid: `${user(i)}/load`, edge: 'bench-edge', conn: `c${i}`, priority: 0, available: true, sm: true });
}
const body = 'x'.repeat(64);

async function send(from: number, total: number): Promise<void> {
  let next = from;
  const worker = async () => {
    while (next < from + total) {
      const i = next++;
      const to = user(i + 1);
      const stanza = parseFragment(`<message type="chat" to="${to}" id="m${i}"><body>${body}</body></message>`);
      stanza.setAttr('from', `${user(i)}/load`);
      const origin = { edge: 'bench-edge', conn: `c${i % USERS}`, jid: `${user(i)}/load` };
      const reply = (await bus.request(actorSubject('session', to), { kind: 'stanza', key: to, stanza, origin, id: `h${i}` }, { timeoutMs: 60_000 })) as ActorReply;
      if (!('ok' in reply) || reply.ok !== true) throw new Error(`hand-off refused: ${JSON.stringify(reply)}`);
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  await bus.flush();
}

await send(0, WARMUP);
tally.clear();
const before = { delivered, cpu: process.cpuUsage(), t: performance.now() };
await send(WARMUP, MESSAGES);
const cpu = process.cpuUsage(before.cpu);
const wallMs = performance.now() - before.t;
const n = delivered - before.delivered;
const cpuMs = (cpu.user + cpu.system) / 1000;
const fmt = (x: number, d = 0) => x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
console.log(`store ${values.postgres ? 'postgres' : 'pglite'}, ${USERS} users, ${n} messages delivered, ${IN_FLIGHT} in flight`);
console.log(`CPU ms per 1,000 delivered: ${fmt((cpuMs * 1000) / n)}   (wall ${fmt(wallMs)} ms, ${fmt((n * 1000) / wallMs)} msg/s)`);
if (values.trace) {
  console.log('statements per message, ms per statement (wall, includes waiting), statement:');
  for (const [text, e] of [...tally].sort((a, b) => b[1].ms - a[1].ms)) console.log(`  ${fmt(e.n / n, 2)}  ${fmt(e.ms / e.n, 3)}  ${text}`);
}
session.stop();
await bus.close();
await store.close();
rmSync(dataDir, { recursive: true, force: true });
