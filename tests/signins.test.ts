// Sign-in history and alerts (issue 9 item 6, docs/security.md): the user reads her sign-ins with
// an ad-hoc command, a sign-in from a new network alerts her other resources or her next session,
// the multi-login policies allow, alert, refuse or replace, idle sessions are closed, and admins
// read the history with `parley user history`. Other networks are loopback aliases in 127.1.0.0/24
// and 127.2.0.0/24 (Linux routes all of 127.0.0.0/8 to lo), so production code sees real addresses.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createLogger } from '@parley/log';
import { xml } from '@parley/xml';
import { callAdminSocket, startAdminSocket } from '../services/cli/src/admin-socket.ts';
import { acquireDataDirLock } from '../services/cli/src/lock.ts';
import { signInCommand } from '../services/cli/src/signins.ts';
import { parleyCli } from './harness/cli.ts';
import { flush } from './harness/flush.ts';
import { NS, newId, RawClient, stanzaErrorCondition } from './harness/raw.ts';
import { BIND2, conditionOf, scramSasl2, secureRaw, userAgent } from './harness/sasl2.ts';
import { startTestServer, type TestServer, uniqueName } from './harness/server.ts';
import { SlixClient, type SlixMessage } from './harness/slix.ts';

const T = { timeout: 60_000 };
const PASSWORD = 'sign-in-secret';
let ts: TestServer;
const clients: SlixClient[] = [];

before(async () => {
  ts = await startTestServer();
});
after(async () => {
  await Promise.all(clients.map((c) => c.stop()));
  await ts.stop();
});

async function account(prefix: string): Promise<string> {
  const [jid] = await ts.addUsers([uniqueName(prefix), PASSWORD]);
  return jid!;
}

/** A slixmpp session of `jid`, coming from `source` (default 127.0.0.1). */
async function slix(jid: string, source?: string): Promise<SlixClient> {
  const c = await SlixClient.start('slix_driver.py', `slixmpp ${jid}${source ? ` from ${source}` : ''}`);
  clients.push(c);
  await c.login({ jid, password: PASSWORD, port: ts.ports.c2s }, source ? { source } : {});
  return c;
}

const isAlert = (m: SlixMessage) => m.type === 'headline' && m.from === ts.domain;

async function settings(c: SlixClient, multiLogin: string, idleTimeout = '') {
  const r = await c.command({ cmd: 'signin_settings', multi_login: multiLogin, idle_timeout: idleTimeout });
  assert.equal(r.status, 'completed', JSON.stringify(r));
}

test('the user reads her sign-ins by ad-hoc command, most recent first, failures included', T, async () => {
  const jid = await account('hist');
  const user = jid.split('@')[0]!;
  const wrong = await RawClient.open(ts.ports.c2s, ts.domain, '127.2.0.9');
  await wrong.startStream();
  await wrong.starttls();
  assert.equal(await wrong.authenticate(user, 'not the password'), 'not-authorized');
  wrong.close();
  const first = await RawClient.login(ts.ports.c2s, user, PASSWORD, 'tablet', ts.domain);
  first.close();
  await first.closed;
  const c = await slix(jid);
  const r = await c.command({ cmd: 'signin_history' });
  assert.equal(r.status, 'completed');
  assert.equal(r.type, 'result');
  assert.deepEqual(r.reported, ['time', 'address', 'client', 'resource', 'mechanism', 'result']);
  const items = r.items as Array<Record<string, string>>;
  // The history is written when the session starts; the command ran after this one's bind.
  assert.equal(items.length, 3, JSON.stringify(items));
  const [now, tablet, failed] = items as [Record<string, string>, Record<string, string>, Record<string, string>];
  assert.equal(now.resource, c.jid.split('/')[1] ?? '');
  assert.equal(now.address, '127.0.0.1');
  assert.equal(now.result, 'success');
  assert.equal(now.mechanism, c.mechanism);
  assert.equal(tablet.resource, 'tablet');
  assert.equal(tablet.mechanism, 'SCRAM-SHA-256');
  assert.equal(failed.address, '127.2.0.9');
  assert.match(failed.result ?? '', /^failure \(not-authorized/);
  assert.ok(now.time! >= tablet.time! && tablet.time! >= failed.time!, 'most recent first');
});

test('a sign-in from a new network alerts the other online resource; a known network does not', T, async () => {
  const jid = await account('roam');
  const home = await slix(jid);
  // Same /24 as the first sign-in: not new.
  const sameNet = await slix(jid, '127.0.0.7');
  await flush(home);
  // Another /24: the resource online is told, the new session is not.
  const away = await slix(jid, '127.1.0.5');
  const alert = await home.message(isAlert, 'the new-sign-in headline');
  assert.match(alert.body, /^New sign-in from 127\.1\.0\.5 using resource \S+ at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.equal(alert.to, home.jid);
  await sameNet.message(isAlert, 'the headline on the other resource too');
  await flush(away);
  await flush(home);
  assert.equal(away.inbox.take((e) => e.event === 'message').length, 0, 'the new session itself is not alerted');
  assert.equal(home.inbox.take((e) => e.event === 'message' && isAlert(e as SlixMessage)).length, 0, 'one alert only; the known network raised none');
});

test('a client never seen (XEP-0388 user agent, SASL2 with Bind2) alerts the other resource; refuse applies to Bind2 too', T, async () => {
  const jid = await account('agent');
  const user = jid.split('@')[0]!;
  const phone = await slix(jid);
  const { c } = await secureRaw(ts.ports.c2s, ts.domain);
  const first = await scramSasl2(c, user, PASSWORD, [userAgent('5c1c6a57-0000-4000-8000-000000000001', 'Cheogram', 'Pixel'), xml('bind', { xmlns: BIND2 }, xml('tag', null, 'cheo'))]);
  assert.equal(conditionOf(first), 'success');
  const alert = await phone.message(isAlert, 'the new-client headline');
  // Same address as before: the client alone is new.
  assert.match(alert.body, /^New sign-in from 127\.0\.0\.1 using Cheogram on Pixel \[5c1c6a57-0000-4000-8000-000000000001\] at /);
  c.close();
  await settings(phone, 'refuse');
  const { c: again } = await secureRaw(ts.ports.c2s, ts.domain);
  const refused = await scramSasl2(again, user, PASSWORD, [userAgent('5c1c6a57-0000-4000-8000-000000000001', 'Cheogram', 'Pixel'), xml('bind', { xmlns: BIND2 })]);
  assert.equal(conditionOf(refused), 'temporary-auth-failure');
  assert.match(refused.outcome.getChildText('text') ?? '', /one session at a time/);
  again.close();
  const items = (await phone.command({ cmd: 'signin_history' })).items as Array<Record<string, string>>;
  assert.equal(items[0]!.client, 'Cheogram on Pixel [5c1c6a57-0000-4000-8000-000000000001]');
  assert.match(items[0]!.result ?? '', /^failure \(refused/);
  assert.equal(items[1]!.result, 'success');
});

test('a new sign-in while no session is online is told to the next session', T, async () => {
  const jid = await account('next');
  const first = await slix(jid);
  await first.disconnect();
  const away = await slix(jid, '127.1.0.6');
  await flush(away);
  assert.equal(away.inbox.take((e) => e.event === 'message').length, 0);
  await away.disconnect();
  const back = await slix(jid);
  const kept = await back.message(isAlert, 'the kept alert');
  assert.match(kept.body, /^New sign-in from 127\.1\.0\.6 using resource /);
  const again = await slix(jid, '127.0.0.8');
  await flush(again);
  await flush(back);
  assert.equal(again.inbox.take((e) => e.event === 'message').length, 0, 'a kept alert is delivered once');
});

test('multi-login refuse: while one session is online a second bind gets resource-constraint, and it is recorded', T, async () => {
  const jid = await account('solo');
  const user = jid.split('@')[0]!;
  const c = await slix(jid);
  await settings(c, 'refuse');
  const second = await RawClient.open(ts.ports.c2s, ts.domain);
  await second.startStream();
  await second.starttls();
  assert.equal(await second.authenticate(user, PASSWORD), 'success');
  const id = newId();
  second.send(xml('iq', { type: 'set', id }, xml('bind', { xmlns: NS.bind }, xml('resource', null, 'second'))));
  const reply = await second.next((e) => e.is('iq') && e.attr('id') === id, 'bind reply');
  assert.equal(reply.attr('type'), 'error');
  // RFC 6120 §7.6.2.1: the account has reached its limit of simultaneous resources.
  assert.equal(stanzaErrorCondition(reply), 'resource-constraint');
  second.close();
  await flush(c);
  const items = (await c.command({ cmd: 'signin_history' })).items as Array<Record<string, string>>;
  assert.match(items[0]!.result!, /^failure \(refused: another session is online/);
  assert.equal(items[0]!.resource, 'second');
  // Once the first session is gone, a new one is allowed.
  await c.disconnect();
  const later = await slix(jid);
  await flush(later);
});

test('multi-login replace: the old session gets a conflict stream error and the new one proceeds', T, async () => {
  const jid = await account('swap');
  const old = await slix(jid);
  await settings(old, 'replace');
  const fresh = await slix(jid, '127.0.0.9');
  const err = await old.inbox.next((e) => e.event === 'stream_error', 'the conflict stream error');
  // RFC 6120 §4.9.3.3: the new session replaces the old one.
  assert.equal(err.condition, 'conflict');
  await flush(fresh);
});

test('multi-login alert: the first session is told when a second one starts', T, async () => {
  const jid = await account('pair');
  const one = await slix(jid);
  await settings(one, 'alert');
  const two = await slix(jid, '127.0.0.10');
  const told = await one.message(isAlert, 'the concurrent-session headline');
  assert.match(told.body, /^Another session of your account started from 127\.0\.0\.10 using resource /);
  await flush(two);
  assert.equal(two.inbox.take((e) => e.event === 'message').length, 0);
});

test('an idle session is closed with connection-timeout; keepalive pings do not keep it open', T, async () => {
  const jid = await account('idle');
  const user = jid.split('@')[0]!;
  const setter = await slix(jid);
  await settings(setter, 'default', '1');
  await setter.disconnect();
  // A slixmpp session that sends nothing after its start.
  const quiet = await slix(jid);
  const t0 = performance.now();
  const err = await quiet.inbox.next((e) => e.event === 'stream_error', 'the idle stream error', 10_000);
  // RFC 6120 §4.9.3.4: connection-timeout.
  assert.equal(err.condition, 'connection-timeout');
  assert.ok(performance.now() - t0 >= 900, 'not before the timeout');
  // A raw session that only pings the server (XEP-0199 keepalive) and sends whitespace is idle too.
  const pinger = await RawClient.login(ts.ports.c2s, user, PASSWORD, 'pinger', ts.domain);
  const closed = pinger.streamError(10_000);
  let open = true;
  void closed.then(() => (open = false));
  const t1 = performance.now();
  while (open && performance.now() - t1 < 5000) {
    pinger.send(' ');
    await pinger.ping().catch(() => {});
  }
  assert.equal(await closed, 'connection-timeout');
  assert.ok(performance.now() - t1 < 4000, 'closed within the timeout and its check, despite the pings');
  // A session that sends stanzas stays: messages to itself every 300 ms for 1.5 s.
  const busy = await RawClient.login(ts.ports.c2s, user, PASSWORD, 'busy', ts.domain);
  const t2 = performance.now();
  while (performance.now() - t2 < 1500) {
    busy.send(xml('message', { to: jid, type: 'chat' }, xml('body', null, 'still here')));
    await busy.rosterGet();
    await new Promise((r) => setTimeout(r, 300));
  }
  await busy.ping();
  assert.equal(busy.streamEnded, false, 'active for longer than the timeout and still open');
  busy.close();
});

test('parley user history lists the sign-ins through the running server, and parley user signins sets the policies', T, async () => {
  const jid = await account('cli');
  const c = await slix(jid);
  await flush(c);
  const dataDir = mkdtempSync(join(tmpdir(), 'parley-signins-'));
  const lock = acquireDataDirLock(dataDir);
  const socket = await startAdminSocket({ config: { ...ts.server.config, dataDir }, store: ts.server.store, log: createLogger({ level: 'silent' }) });
  try {
    const history = await parleyCli(['user', 'history', jid], { PARLEY_DATA_DIR: dataDir });
    assert.equal(history.code, 0, history.stderr);
    const lines = history.stdout.trim().split('\n');
    assert.equal(lines.length, 1);
    assert.match(lines[0]!, new RegExp(`^\\S+Z {2}127\\.0\\.0\\.1 {2}- {2}${c.jid.split('/')[1]} {2}${c.mechanism} {2}success$`));
    const set = await parleyCli(['user', 'signins', jid, '--multi-login', 'replace', '--idle-timeout', '600'], { PARLEY_DATA_DIR: dataDir });
    assert.equal(set.stdout, `${jid}  multi-login replace  idle-timeout 600\n`, set.stderr);
    // Refusals come back through the same socket route (in process: each spawned CLI costs seconds).
    const io = { remote: true, call: (m: string, p: string, b?: unknown) => callAdminSocket(dataDir, m, p, b), withStore: () => Promise.reject(new Error('not used')), log: createLogger({ level: 'silent' }) };
    await assert.rejects(signInCommand(ts.server.config, 'signins', jid, { 'multi-login': 'sometimes' }, io, () => {}), /multi-login must be/);
    await assert.rejects(signInCommand(ts.server.config, 'history', `nobody@${ts.domain}`, {}, io, () => {}), /no account nobody@/);
  } finally {
    await socket.close();
    lock.release();
    rmSync(dataDir, { recursive: true, force: true });
  }
  const metrics = await (await fetch(`http://127.0.0.1:${ts.ports.http}/metrics`)).text();
  assert.match(metrics, /parley_signins_total\{result="success",mechanism="[^"]+"\} [1-9]/);
  assert.match(metrics, /parley_signins_total\{result="failure",mechanism="SCRAM-SHA-256"\} [1-9]/);
  assert.match(metrics, /parley_signin_alerts_total\{reason="new-address",delivery="live"\} [1-9]/);
  assert.match(metrics, /parley_signin_alerts_total\{reason="new-address",delivery="kept"\} [1-9]/);
  for (const action of ['refused', 'replaced', 'idle']) assert.match(metrics, new RegExp(`parley_signin_sessions_total\\{action="${action}"\\} [1-9]`));
});

