// The sign-in module's rules without a server: what counts as a new network or client, the
// settings a user may submit, and the multi-login decisions on a fake connection.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SessionEnv, StreamApi } from '@parley/ext';
import { parseJid } from '@parley/jid';
import type { ResourceEntry } from '@parley/location';
import { silentLogger } from '@parley/log';
import type { SignInSettings } from '@parley/store';
import { Registry } from 'prom-client';
import { commandRegistry } from '../adhoc/index.ts';
import { parseSettings } from './commands.ts';
import { signInConnection } from './edge.ts';
import { signIns } from './index.ts';
import { signInMetrics } from './metrics.ts';
import { addressPrefix, novelty } from './novelty.ts';

test('networks are /24 for IPv4 (mapped addresses too) and /48 for IPv6, however written', () => {
  assert.equal(addressPrefix('192.0.2.77'), '192.0.2.0/24');
  assert.equal(addressPrefix('::ffff:192.0.2.1'), '192.0.2.0/24');
  assert.equal(addressPrefix('2001:db8:1:2::5'), '2001:db8:1::/48');
  assert.equal(addressPrefix('2001:0db8:0001:ffff:0:0:0:1'), '2001:db8:1::/48');
  assert.equal(addressPrefix('::1'), '0:0:0::/48');
  assert.notEqual(addressPrefix('2001:db8:2::1'), addressPrefix('2001:db8:1::1'));
});

test('the first sign-in is never new; then a new network or a new client id is', () => {
  const none = { ips: [], clientKeys: [] };
  assert.deepEqual(novelty(none, '192.0.2.1', 'app-1'), { address: false, client: false });
  const known = { ips: ['192.0.2.1', '2001:db8:1::9'], clientKeys: ['app-1'] };
  assert.deepEqual(novelty(known, '192.0.2.200', 'app-1'), { address: false, client: false });
  assert.deepEqual(novelty(known, '2001:db8:1:7::1', null), { address: false, client: false }, 'no user agent: only the address counts');
  assert.deepEqual(novelty(known, '198.51.100.1', 'app-1'), { address: true, client: false });
  assert.deepEqual(novelty(known, '192.0.2.5', 'app-2'), { address: false, client: true });
});

test('settings: default, the four policies, and an idle timeout in seconds up to 30 days', () => {
  assert.deepEqual(parseSettings('default', ''), { multiLogin: null, idleTimeoutSec: null });
  assert.deepEqual(parseSettings('refuse', '600'), { multiLogin: 'refuse', idleTimeoutSec: 600 });
  assert.deepEqual(parseSettings('allow', '0'), { multiLogin: 'allow', idleTimeoutSec: 0 });
  assert.match(parseSettings('sometimes', '') as string, /multi-login must be/);
  assert.match(parseSettings('alert', '-1') as string, /idle-timeout/);
  assert.match(parseSettings('alert', String(31 * 86400)) as string, /idle-timeout/);
});

/** A connection of alice with `online` other sessions and her own settings. */
function fakeConnection(own: SignInSettings, online: ResourceEntry[]) {
  const kicked: string[] = [];
  const told: string[] = [];
  const recorded: Array<{ success: boolean; reason?: string | null }> = [];
  const api = {
    id: 'new-conn',
    log: silentLogger,
    remoteAddress: '198.51.100.10',
    jid: () => null,
    location: { resources: async () => [...online, { jid: 'alice@x/new', edge: 'e', conn: 'new-conn', priority: 0, available: false }] },
    kick: (e: ResourceEntry) => kicked.push(e.jid),
    tell: (_s: string, msg: { stanza: { toString(): string } }) => told.push(msg.stanza.toString()),
    streamError: () => {},
    store: {
      loginHistory: {
        settings: async () => own,
        record: async (_u: string, _d: string, r: { success: boolean; reason?: string | null }) => void recorded.push(r),
        known: async () => ({ ips: ['192.0.2.1'], clientKeys: [] }),
        takeAlerts: async () => [],
        keepAlert: async () => {},
      },
    },
  } as unknown as StreamApi;
  const hooks = signInConnection(api, {
    domain: 'x',
    defaults: { multiLogin: 'allow', idleTimeoutSec: 0 },
    alerts: true,
    keptAlerts: 5,
    metrics: signInMetrics(new Registry()),
    now: () => new Date('2026-01-02T03:04:05.678Z'),
  });
  return { hooks, kicked, told, recorded };
}

/** The bound hook's work is asynchronous (store reads, then alerts): let it run. */
async function settle(done: () => boolean): Promise<void> {
  for (let i = 0; i < 50 && !done(); i++) await new Promise((r) => setImmediate(r));
}

const other: ResourceEntry = { jid: 'alice@x/phone', edge: 'e', conn: 'old-conn', priority: 0, available: true };
const signIn = { user: 'alice', mechanism: 'PLAIN', userAgent: null, client: null };
const jid = parseJid('alice@x/new');

test('refuse: a second session is refused with resource-constraint and recorded; alone it binds', async () => {
  const f = fakeConnection({ multiLogin: 'refuse', idleTimeoutSec: null }, [other]);
  assert.deepEqual(await f.hooks.binding!(jid, signIn), { ok: false, condition: 'resource-constraint', text: 'this account allows one session at a time and another one is online' });
  assert.equal(f.recorded[0]?.success, false);
  const alone = fakeConnection({ multiLogin: 'refuse', idleTimeoutSec: null }, []);
  assert.deepEqual(await alone.hooks.binding!(jid, signIn), { ok: true });
});

test('replace kicks the other sessions, and the new-network alert then waits for the next session', async () => {
  const f = fakeConnection({ multiLogin: 'replace', idleTimeoutSec: null }, [other]);
  await f.hooks.binding!(jid, signIn);
  f.hooks.bound!(jid, signIn);
  await settle(() => f.recorded.length > 0 && f.kicked.length > 0);
  assert.deepEqual(f.kicked, ['alice@x/phone']);
  assert.deepEqual(f.told, [], 'the replaced session is not alerted');
});

test('a new network with another session online: a headline from the domain to that resource', async () => {
  const f = fakeConnection({ multiLogin: null, idleTimeoutSec: null }, [other]);
  await f.hooks.binding!(jid, signIn);
  f.hooks.bound!(jid, signIn);
  await settle(() => f.told.length > 0);
  assert.equal(f.told.length, 1);
  assert.match(f.told[0]!, /^<message type='headline' from='x' to='alice@x\/phone' id='[^']+'><subject>Sign-in alert<\/subject><body>New sign-in from 198\.51\.100\.10 using resource new at 2026-01-02T03:04:05Z<\/body><\/message>$/);
});

test('the retention sweep deletes what is older than the configured days, on the module clock', async () => {
  const cutoffs: Date[] = [];
  const module = signIns({ commands: commandRegistry(), domain: 'x', historyDays: 90, historyShown: 50, alerts: true, multiLogin: 'allow', idleTimeoutSec: 0, now: () => new Date('2026-04-01T00:00:00Z') });
  const [task] = module.session?.periodic ?? [];
  assert.equal(task?.everyMs, 3_600_000);
  const env = { log: silentLogger, store: { loginHistory: { sweep: async (before: Date) => cutoffs.push(before) } } } as unknown as SessionEnv;
  await task!.run(env);
  assert.deepEqual(cutoffs, [new Date('2026-01-01T00:00:00Z')]);
});
