// FAST tokens (XEP-0484) in cluster mode: a token issued by one edge logs in on another (they
// live in Postgres), the same user agent gets its resource back there and the stale session on the
// first edge is replaced, rotation and revocation hold across edges; xmpp.js does the same.
import assert from 'node:assert/strict';
import type { FastToken } from '@xmpp/client';
import { xml } from '@parley/xml';
import { BIND2, conditionOf, FAST, fastSasl2, scramSasl2, secureRaw, tokenOf, userAgent } from '../../harness/sasl2.ts';
import { xml as jsXml, XmppJsClient } from '../../harness/xmppjs.ts';
import { DOMAIN, password } from '../harness.ts';
import type { Scenario } from '../shared.ts';

const bind = (tag: string) => xml('bind', { xmlns: BIND2 }, xml('tag', null, tag));

export async function fastTokensAcrossEdges({ cluster, user, addUsers }: Scenario): Promise<void> {
  const closers: Array<() => unknown> = [];
  const [fay, gus] = [user('fay'), user('gus')];
  try {
    await addUsers(['fay', 'gus']);
    const [edge1, edge2] = cluster.edges();
    assert.ok(edge1 && edge2);

    // Password login on edge 1 with Bind2 and a token request.
    const one = await secureRaw(edge1.c2s, DOMAIN);
    closers.push(() => one.c.close());
    const first = await scramSasl2(one.c, fay, password(fay), [userAgent('fay-phone'), bind('phone'), xml('request-token', { xmlns: FAST, mechanism: 'HT-SHA-256-NONE' })]);
    assert.equal(conditionOf(first), 'success');
    const token = tokenOf(first)?.token;
    assert.ok(token);
    const jid = first.outcome.getChildText('authorization-identifier');
    await one.c.ping();

    // The phone reconnects through the load balancer and lands on edge 2, with the token only.
    const two = await secureRaw(edge2.c2s, DOMAIN);
    closers.push(() => two.c.close());
    const second = await fastSasl2(two.c, fay, token, 'HT-SHA-256-NONE', [userAgent('fay-phone'), bind('phone'), xml('fast', { xmlns: FAST, count: '1' })]);
    assert.equal(conditionOf(second), 'success');
    assert.equal(second.outcome.getChildText('authorization-identifier'), jid, 'the same resource on the other edge');
    assert.equal(await one.c.streamError(), 'conflict', 'the stale session on edge 1 is replaced');
    await two.c.ping();

    // The replay counter is shared: count 1 again is refused on edge 1.
    const replay = await secureRaw(edge1.c2s, DOMAIN);
    closers.push(() => replay.c.close());
    const replayed = await fastSasl2(replay.c, fay, token, 'HT-SHA-256-NONE', [userAgent('fay-phone'), xml('fast', { xmlns: FAST, count: '1' })]);
    assert.equal(conditionOf(replayed), 'not-authorized');

    // Rotation on edge 1; once the new token is used on edge 2, the old one fails on edge 1.
    const rot = await fastSasl2(replay.c, fay, token, 'HT-SHA-256-NONE', [userAgent('fay-phone'), xml('fast', { xmlns: FAST, count: '2' }), xml('request-token', { xmlns: FAST, mechanism: 'HT-SHA-256-NONE' })]);
    assert.equal(conditionOf(rot), 'success');
    const rotated = tokenOf(rot)?.token;
    assert.ok(rotated && rotated !== token);
    const three = await secureRaw(edge2.c2s, DOMAIN);
    closers.push(() => three.c.close());
    assert.equal(conditionOf(await fastSasl2(three.c, fay, rotated, 'HT-SHA-256-NONE', [userAgent('fay-phone')])), 'success');
    const four = await secureRaw(edge1.c2s, DOMAIN);
    closers.push(() => four.c.close());
    assert.equal(conditionOf(await fastSasl2(four.c, fay, token, 'HT-SHA-256-NONE', [userAgent('fay-phone')])), 'not-authorized');

    // xmpp.js: token from edge 1, reconnect on edge 2 with a wrong password, then revoked everywhere.
    const saved: FastToken[] = [];
    const js = (port: number, fingerprint: string, pw: string, tok?: FastToken) =>
      XmppJsClient.connect({
        service: `xmpp://127.0.0.1:${port}`,
        domain: DOMAIN,
        username: gus,
        password: pw,
        resource: 'web',
        fingerprint,
        sasl2: true,
        userAgent: jsXml('user-agent', { id: 'gus-browser' }),
        setup: (x) => {
          let current = tok ?? null;
          x.fast.fetchToken = async () => current;
          x.fast.saveToken = async (t) => {
            current = t;
            saved.push(t);
          };
          x.fast.deleteToken = async () => {
            current = null;
          };
        },
      });
    await (await js(edge1.c2s, edge1.fingerprint, password(gus))).stop();
    assert.equal(saved.length, 1);
    const again = await js(edge2.c2s, edge2.fingerprint, 'wrong', saved[0]);
    assert.equal(again.mechanism, 'HT-SHA-256-NONE');
    await again.ping();
    await again.stop();
    assert.equal(await cluster.store.fastTokens.revoke(gus, DOMAIN), 1);
    await assert.rejects(js(edge1.c2s, edge1.fingerprint, 'wrong', saved[0]), (err: Error & { condition?: string }) => err.condition === 'not-authorized');
  } finally {
    for (const c of closers) c();
  }
}
