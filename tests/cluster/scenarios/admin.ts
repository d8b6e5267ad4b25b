// The admin role in a real cluster: it sees every process with its roles and shards, the edge with
// its connection, and a kick it sends over NATS closes a slixmpp client's stream on the edge. The same
// scenario covers the sign-in checks of issue 9 item 6: an account's idle timeout closes its session
// on the edge, and `parley user history` reads the history from Postgres.
// It runs first in the shared cluster: it counts the cluster's online sessions.
import assert from 'node:assert/strict';
import { tokenRepo } from '@parley/admin';
import { parleyCli } from '../../harness/cli.ts';
import { SlixClient } from '../../harness/slix.ts';
import { password } from '../harness.ts';
import type { Scenario } from '../shared.ts';

export async function adminSeesAndKicks({ cluster, user, addUsers }: Scenario): Promise<void> {
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
    const [jid] = await addUsers(['kicked']);
    const [edge] = cluster.edges();
    client = await SlixClient.connect({ jid: `${jid}/slix`, password: password(user('kicked')), port: edge!.c2s, mech: 'SCRAM-SHA-256' });

    const view = (await api('GET', '/api/cluster')).body as { mode: string; online: number; processes: Array<{ id: string; roles: string[]; shards: Record<string, number>; connections?: number }> };
    assert.equal(view.mode, 'cluster');
    assert.equal(view.online, 1);
    const byId = new Map(view.processes.map((p) => [p.id, p]));
    // Each actor process's shards as it reports them itself, all 64 of each role owned.
    for (const role of ['session', 'presence', 'chatroom'] as const) {
      const owned = await cluster.shardsOwned(role);
      assert.deepEqual(
        [...owned.keys()].map((name) => [name, byId.get(name)?.shards]),
        [...owned].map(([name, n]) => [name, { [role]: n }]),
      );
      assert.equal([...owned.values()].reduce((a, b) => a + b, 0), 64);
    }
    assert.deepEqual([byId.get(edge!.name)?.roles, byId.get(edge!.name)?.connections], [['edge'], 1]);
    assert.deepEqual(byId.get(admin.name)?.roles, ['admin']);

    const kick = await api('POST', '/api/sessions/kick', { jid: client.jid, reason: 'maintenance on your account' });
    assert.deepEqual(kick, { status: 200, body: { kicked: [client.jid] } });
    const err = await client.inbox.next((e) => e.event === 'stream_error', 'the stream error');
    assert.deepEqual([err.condition, err.text], ['policy-violation', 'maintenance on your account']);
    const audit = (await api('GET', `/api/audit?target=${encodeURIComponent(client.jid)}`)).body.entries as Array<{ actor: string; action: string }>;
    assert.deepEqual(audit.map((e) => [e.action, e.actor]), [['session.kick', `token:${token.split('_')[1]} (cluster test)`]]);

    const [idler] = await addUsers(['idler']);
    const [name, domain] = idler!.split('@') as [string, string];
    await cluster.store.loginHistory.setSettings(name, domain, { idleTimeoutSec: 1 });
    const quiet = await SlixClient.connect({ jid: `${idler}/quiet`, password: password(user('idler')), port: edge!.c2s, mech: 'SCRAM-SHA-256' });
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
  }
}
