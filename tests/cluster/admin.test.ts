// The admin role in a real cluster: it sees every process with its roles and shards, the edge with
// its connection, and a kick it sends over NATS closes a slixmpp client's stream on the edge. The same
// cluster serves the sign-in checks of issue 9 item 6 (one cluster start): an account's idle timeout
// closes its session on the edge, and `parley user history` reads the history from Postgres.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { tokenRepo } from '@parley/admin';
import { parleyCli } from '../harness/cli.ts';
import { SlixClient } from '../harness/slix.ts';
import { password, TestCluster } from './harness.ts';

test('an operator sees the cluster from the admin role and kicks a client connected to an edge', { timeout: 180_000 }, async () => {
  const cluster = await TestCluster.start({ edges: 1, sessions: 1, presences: 1, label: 'admin' });
  let client: SlixClient | null = null;
  try {
    const admin = await cluster.spawn('admin');
    const { token } = await tokenRepo(cluster.store.sql).create({ name: 'cluster test', role: 'operator', createdBy: 'test' });
    const api = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`http://127.0.0.1:${admin.adminPort}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    const [jid] = await cluster.addUsers(['kicked']);
    const [edge] = cluster.edges();
    client = await SlixClient.connect({ jid: `${jid}/slix`, password: password('kicked'), port: edge!.c2s, mech: 'SCRAM-SHA-256' });

    const view = (await api('GET', '/api/cluster')).body as { mode: string; online: number; processes: Array<{ id: string; roles: string[]; shards: Record<string, number>; connections?: number }> };
    assert.equal(view.mode, 'cluster');
    assert.equal(view.online, 1);
    const byId = new Map(view.processes.map((p) => [p.id, p]));
    assert.deepEqual(byId.get('session-1')?.shards, { session: 64 });
    assert.deepEqual(byId.get('presence-1')?.shards, { presence: 64 });
    assert.deepEqual([byId.get('edge-1')?.roles, byId.get('edge-1')?.connections], [['edge'], 1]);
    assert.deepEqual(byId.get('admin-1')?.roles, ['admin']);

    const kick = await api('POST', '/api/sessions/kick', { jid: client.jid, reason: 'maintenance on your account' });
    assert.deepEqual(kick, { status: 200, body: { kicked: [client.jid] } });
    const err = await client.inbox.next((e) => e.event === 'stream_error', 'the stream error');
    assert.deepEqual([err.condition, err.text], ['policy-violation', 'maintenance on your account']);
    const audit = (await api('GET', `/api/audit?target=${encodeURIComponent(client.jid)}`)).body.entries as Array<{ actor: string; action: string }>;
    assert.deepEqual(audit.map((e) => [e.action, e.actor]), [['session.kick', `token:${token.split('_')[1]} (cluster test)`]]);

    const [idler] = await cluster.addUsers(['idler']);
    const [user, domain] = idler!.split('@') as [string, string];
    await cluster.store.loginHistory.setSettings(user, domain, { idleTimeoutSec: 1 });
    const quiet = await SlixClient.connect({ jid: `${idler}/quiet`, password: password('idler'), port: edge!.c2s, mech: 'SCRAM-SHA-256' });
    try {
      // RFC 6120 §4.9.3.4: no stanza for the account's idle timeout.
      const idle = await quiet.inbox.next((e) => e.event === 'stream_error', 'the idle stream error', 15_000);
      assert.equal(idle.condition, 'connection-timeout');
    } finally {
      await quiet.stop();
    }
    const history = await parleyCli(['user', 'history', idler!], { PARLEY_DATABASE_URL: cluster.urls.database, PARLEY_DATABASE_SCHEMA: cluster.schema, PARLEY_DOMAIN: domain });
    assert.equal(history.code, 0, history.stderr);
    assert.match(history.stdout, /^\S+Z {2}127\.0\.0\.1 {2}- {2}quiet {2}SCRAM-SHA-256 {2}success\n$/);
  } finally {
    await client?.stop();
    await cluster.stop();
  }
});

