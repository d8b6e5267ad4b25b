import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CENSORED, createLogger, isLogLevel, type LoggerOptions, maskUrlCredentials, SECRET_FIELDS, silentLogger } from './index.ts';

function capture(opts: LoggerOptions = {}, base: Record<string, unknown> = {}) {
  const lines: string[] = [];
  const log = createLogger({ level: 'debug', pretty: false, write: (l) => lines.push(l), ...opts }, base);
  const records = () => lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  return { log, lines, records };
}

const get = (o: unknown, ...path: string[]): unknown => path.reduce<unknown>((x, k) => (x as Record<string, unknown> | undefined)?.[k], o);

test('each line is one JSON object with level, an ISO time, the message and the fields', () => {
  const { log, lines, records } = capture();
  log.info('edge listening', { c2s: 5222, tls: true });
  assert.equal(lines.length, 1);
  assert.ok(!lines[0]?.includes('\n'));
  const [rec] = records();
  assert.equal(rec?.level, 'info');
  assert.equal(rec?.msg, 'edge listening');
  assert.equal(rec?.c2s, 5222);
  assert.equal(rec?.tls, true);
  assert.match(String(rec?.t), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
});

test('lines below the level are not written, and a silent logger writes nothing', () => {
  const { log, records } = capture({ level: 'warn' });
  log.debug('d');
  log.info('i');
  log.warn('w');
  log.error('e');
  assert.deepEqual(
    records().map((r) => r.level),
    ['warn', 'error'],
  );
  assert.equal(log.level, 'warn');
  const silent = capture({ level: 'silent' });
  silent.log.error('e');
  assert.equal(silent.lines.length, 0);
  assert.equal(silentLogger.child({ a: 1 }).level, 'silent');
});

test("a child's fields are on every line it writes; a line's own field wins", () => {
  const { log, records } = capture({}, { svc: 'edge' });
  const conn = log.child({ conn: 7 });
  conn.info('one');
  conn.info('two', { conn: 8 });
  const [one, two] = records();
  assert.equal(one?.svc, 'edge');
  assert.equal(one?.conn, 7);
  assert.equal(two?.conn, 8);
});

test('a message is written as given, never interpolated', () => {
  const { log, records } = capture();
  log.info('100%s done %d', { n: 1 });
  assert.equal(records()[0]?.msg, '100%s done %d');
});

test('secret fields are censored at the top level, nested, and in child bindings', () => {
  const { log, lines, records } = capture({}, { token: 'bind-secret' });
  log.info('login', {
    password: 'hunter2',
    user: { name: 'alice', credentials: 'c' },
    req: { headers: { authorization: 'Bearer abc', 'set-cookie': 's=1', accept: 'text/xml' } },
    scram: { storedKey: 'sk', serverKey: 'vk', iterations: 4096 },
    saslPayload: 'AGFsaWNlAGh1bnRlcjI=',
  });
  const [rec] = records();
  assert.equal(rec?.token, CENSORED);
  assert.equal(rec?.password, CENSORED);
  assert.deepEqual(rec?.user, { name: 'alice', credentials: CENSORED });
  assert.deepEqual(get(rec, 'req', 'headers'), { authorization: CENSORED, 'set-cookie': CENSORED, accept: 'text/xml' });
  assert.deepEqual(rec?.scram, { storedKey: CENSORED, serverKey: CENSORED, iterations: 4096 });
  assert.equal(rec?.saslPayload, CENSORED);
  for (const s of ['hunter2', 'bind-secret', 'Bearer abc', 'AGFsaWNlAGh1bnRlcjI=']) assert.ok(!lines[0]?.includes(s), s);
});

test('every listed secret field is censored', () => {
  const { log, records } = capture();
  log.info('all', Object.fromEntries(SECRET_FIELDS.map((f) => [f, `value-of-${f}`])));
  const [rec] = records();
  for (const f of SECRET_FIELDS) assert.equal(rec?.[f], CENSORED, f);
});

test('the actor key stays readable: `key` alone is not a secret', () => {
  const { log, records } = capture();
  log.error('session actor failure', { key: 'alice@example.com' });
  assert.equal(records()[0]?.key, 'alice@example.com');
});

test('URLs keep everything but their password, in fields, messages, nested objects and errors', () => {
  const { log, lines, records } = capture();
  log.warn('cannot reach postgres://parley:pg-pass@db:5432/parley', {
    natsUrl: 'nats://u1:nats-pass-1@h1:4222,nats://u2:nats-pass-2@h2:4222',
    config: { redisUrl: 'rediss://:redis-pass@cache:6380/0', domain: 'example.com' },
    err: new Error('connect failed: nats://u1:nats-pass-1@h1:4222'),
    reason: 'no user here: postgres://postgres@127.0.0.1/test',
  });
  const [rec] = records();
  assert.equal(rec?.msg, `cannot reach postgres://parley:${CENSORED}@db:5432/parley`);
  assert.equal(rec?.natsUrl, `nats://u1:${CENSORED}@h1:4222,nats://u2:${CENSORED}@h2:4222`);
  assert.equal(get(rec, 'config', 'redisUrl'), `rediss://:${CENSORED}@cache:6380/0`);
  assert.equal(get(rec, 'config', 'domain'), 'example.com');
  assert.equal(get(rec, 'err', 'message'), `connect failed: nats://u1:${CENSORED}@h1:4222`);
  assert.equal(rec?.reason, 'no user here: postgres://postgres@127.0.0.1/test');
  for (const s of ['pg-pass', 'nats-pass-1', 'nats-pass-2', 'redis-pass']) assert.ok(!lines[0]?.includes(s), s);
});

test('maskUrlCredentials leaves text without credentials alone', () => {
  for (const s of ['alice@example.com', 'see http://example.com/a@b', 'mailto:x@y', 'plain']) assert.equal(maskUrlCredentials(s), s);
});

test('an Error under any field name is written with its type, message, stack and code', () => {
  const { log, records } = capture();
  const err = Object.assign(new TypeError('bad thing'), { code: 'E_BAD' });
  log.error('failed', { err, cause: new RangeError('too far') });
  const [rec] = records();
  assert.equal(get(rec, 'err', 'type'), 'TypeError');
  assert.equal(get(rec, 'err', 'message'), 'bad thing');
  assert.equal(get(rec, 'err', 'code'), 'E_BAD');
  assert.match(String(get(rec, 'err', 'stack')), /^TypeError: bad thing\n/);
  assert.equal(get(rec, 'cause', 'type'), 'RangeError');
  assert.equal(get(rec, 'cause', 'message'), 'too far');
});

test("the caller's field objects are not changed by censoring", () => {
  const { log } = capture();
  const fields = { password: 'p', nested: { token: 't' }, url: 'nats://a:b@h' };
  log.info('x', fields);
  assert.deepEqual(fields, { password: 'p', nested: { token: 't' }, url: 'nats://a:b@h' });
});

test('on a terminal a line is time, level, message and key=value fields, censored too', () => {
  const { log, lines } = capture({ pretty: true });
  log.warn('client not reading, closing', { backlog: 70000, jid: 'a@b/c', password: 'x', o: { n: 1 } });
  assert.match(lines[0] ?? '', /^\d{4}-\d\d-\d\dT\S+Z WARN {2}client not reading, closing backlog=70000 jid=a@b\/c password=\[redacted\] o=\{"n":1\}$/);
});

test('isLogLevel accepts exactly the five levels', () => {
  for (const l of ['debug', 'info', 'warn', 'error', 'silent']) assert.ok(isLogLevel(l), l);
  for (const l of ['trace', 'fatal', 'INFO', '', 'toString']) assert.ok(!isLogLevel(l), l);
});
