// Cluster-wide limits (docs/security.md): two edges share an account's rate buckets and the login
// failure ledger through Redis, so moving to another edge does not reset them.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { xml } from '@parley/xml';
import { RawClient, stanzaErrorCondition } from '../harness/raw.ts';
import { password, TestCluster } from './harness.ts';

test('subscription limits and login failures count across edges (Redis)', { timeout: 180_000 }, async () => {
  const cluster = await TestCluster.start({
    edges: 2,
    sessions: 1,
    presences: 1,
    label: 'abuse-limits',
    env: { PARLEY_LIMIT_SUBSCRIPTIONS_PER_MIN: '3', PARLEY_AUTH_FAILURES_BEFORE_DELAY: '2' },
  });
  const open: RawClient[] = [];
  try {
    await cluster.addUsers(['twin', 'juliet']);
    const [edge1, edge2] = cluster.edges();
    assert.ok(edge1 && edge2);
    const one = await RawClient.login(edge1.c2s, 'twin', password('twin'), 'one');
    const two = await RawClient.login(edge2.c2s, 'twin', password('twin'), 'two');
    open.push(one, two);
    // Edge 1 uses the account's three subscription requests a minute.
    for (let i = 0; i < 3; i++) one.send(xml('presence', { type: 'subscribe', to: `c${i}@localhost`, id: `a${i}` }));
    await one.rosterGet(); // handled by the same presence actor after the three
    // Edge 2 has its own full local bucket (3); only the shared one in Redis can refuse it. Its
    // charges reach Redis in 50 ms batches, so the requests are spaced.
    let refused: string | undefined;
    for (let i = 0; i < 3 && refused === undefined; i++) {
      two.send(xml('presence', { type: 'subscribe', to: `d${i}@localhost`, id: `b${i}` }));
      await two.rosterGet();
      const err = two.inbox.take((e) => e.is('presence') && e.attr('type') === 'error')[0];
      if (err) refused = stanzaErrorCondition(err);
      else await sleep(300);
    }
    assert.equal(refused, 'policy-violation', 'edge 2 refuses once Redis says the account used its minute');

    // Two failed logins through edge 1 slow the next attempt from the same address through edge 2.
    for (let i = 0; i < 2; i++) {
      const c = await RawClient.open(edge1.c2s);
      open.push(c);
      await c.startStream();
      await c.starttls();
      assert.equal(await c.authenticate('juliet', `wrong${i}`), 'not-authorized');
    }
    const c = await RawClient.open(edge2.c2s);
    open.push(c);
    await c.startStream();
    await c.starttls();
    const t0 = performance.now();
    assert.equal(await c.authenticate('juliet', 'wrong-again'), 'not-authorized');
    assert.ok(performance.now() - t0 >= 1000, 'the third failure, on the other edge, was answered after at least 1 s');
  } finally {
    for (const c of open) c.close();
    await cluster.stop();
  }
});
