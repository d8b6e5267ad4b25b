// XEP-0357 push notifications with a local app-server stand-in (an xmpp.js account that records what
// it receives): a message for a resource that is CSI-inactive or detached (waiting for XEP-0198
// resumption) makes the server publish the summary form to the app server's node; an active,
// attached resource does not; after disable nothing is published.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { flush } from './harness/flush.ts';
import { startTestServer, type TestServer, uniqueName } from './harness/server.ts';
import { SlixClient } from './harness/slix.ts';
import { pushCommand, SlixSmClient } from './harness/slix-sm.ts';
import { type XmlElement, XmppJsClient } from './harness/xmppjs.ts';

const NS_PUBSUB = 'http://jabber.org/protocol/pubsub';

/** The summary form of a push publish, as field → value. */
function summary(iq: XmlElement): Record<string, string> {
  const x = iq.getChild('pubsub', NS_PUBSUB)?.getChild('publish')?.getChild('item')?.getChild('notification', 'urn:xmpp:push:0')?.getChild('x', 'jabber:x:data');
  const out: Record<string, string> = {};
  for (const f of x?.getChildren('field') ?? []) out[f.attrs.var as string] = f.getChildText('value') ?? '';
  return out;
}

describe('XEP-0357 push notifications', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startTestServer();
  });
  after(async () => {
    await srv.stop();
  });

  test('inactive or detached resources trigger a summary publish to the app server; active ones and disabled registrations do not', async () => {
    const [a, b, p] = [uniqueName('push-a'), uniqueName('push-b'), uniqueName('pushsrv')];
    const [aj, bj, pj] = await srv.addUsers([a, 'pw-a'], [b, 'pw-b'], [p, 'pw-p']);
    const appServer = await XmppJsClient.connect({ service: `xmpp://127.0.0.1:${srv.ports.c2s}`, domain: srv.domain, username: p, password: 'pw-p', resource: 'app', fingerprint: srv.server.fingerprint });
    (appServer.xmpp as unknown as { iqCallee: { set(ns: string, name: string, f: () => unknown): void } }).iqCallee.set(NS_PUBSUB, 'pubsub', () => ({}));
    const alice = await SlixSmClient.connectSm({ jid: `${aj}/phone`, password: 'pw-a', port: srv.ports.c2s });
    const bob = await SlixClient.connect({ jid: `${bj}/desk`, password: 'pw-b', port: srv.ports.c2s });
    const service = `${pj}/app`;
    const publish = (what: string) => appServer.next((e) => e.is('iq') && e.attrs.type === 'set' && !!e.getChild('pubsub', NS_PUBSUB), what);
    /** Nothing published: bob's ping to alice is handled by her session actor after his message. */
    const noPublish = async () => {
      await bob.ping(`${aj}/phone`);
      await flush(appServer);
      assert.deepEqual(appServer.inbox.take((e) => e.is('iq') && !!e.getChild('pubsub', NS_PUBSUB)).map(String), []);
    };
    try {
      assert.equal((await pushCommand(alice, 'enable', service, 'node-1', 's3cret')).type, 'result');

      // Active and attached: no notification.
      await bob.sendMessage(`${aj}/phone`, 'seen live');
      await alice.message((m) => m.body === 'seen live', 'a live message');
      await noPublish();

      // CSI inactive: the message is delivered and the app server is told.
      await alice.csi('inactive');
      await flush(alice);
      await bob.sendMessage(`${aj}/phone`, 'secret text');
      const first = await publish('a push for the inactive client');
      assert.equal(first.attrs.from, aj, 'from the account’s bare JID');
      assert.equal(first.attrs.to, service);
      assert.equal(first.getChild('pubsub', NS_PUBSUB)?.getChild('publish')?.attrs.node, 'node-1');
      const s1 = summary(first);
      assert.equal(s1.FORM_TYPE, 'urn:xmpp:push:summary');
      assert.equal(s1['message-count'], '1');
      assert.equal(s1['last-message-sender'], `${bj}/desk`);
      assert.equal(s1['last-message-body'], undefined, 'no body unless configured');
      assert.ok(!first.toString().includes('secret text'));
      assert.ok(first.getChild('pubsub', NS_PUBSUB)?.getChild('publish-options')?.toString().includes('s3cret'), 'the publish-options form is passed on');
      await alice.message((m) => m.body === 'secret text', 'delivered to the inactive client anyway');

      // Detached (connection lost, waiting for resumption): queued and pushed.
      await alice.drop();
      await bob.sendMessage(`${aj}/phone`, 'while detached');
      assert.equal(summary(await publish('a push for the detached session'))['message-count'], '2');
      assert.equal((await alice.resume(srv.ports.c2s)).outcome, 'sm_resumed');
      await alice.message((m) => m.body === 'while detached', 'the queued message after resumption');

      // Disabled: nothing more, even while inactive.
      assert.equal((await pushCommand(alice, 'disable', service)).type, 'result');
      await alice.csi('inactive');
      await flush(alice);
      await bob.sendMessage(`${aj}/phone`, 'after disable');
      await alice.message((m) => m.body === 'after disable', 'delivered');
      await noPublish();
    } finally {
      await Promise.all([alice.stop(), bob.stop(), appServer.stop()]);
    }
  });

  test('enable without a node is bad-request', async () => {
    const a = uniqueName('push-bad');
    const [aj] = await srv.addUsers([a, 'pw']);
    const alice = await SlixSmClient.connectSm({ jid: `${aj}/x`, password: 'pw', port: srv.ports.c2s });
    try {
      await assert.rejects(pushCommand(alice, 'enable', `push.${srv.domain}`), (err: Error & { condition?: string }) => err.condition === 'bad-request');
    } finally {
      await alice.stop();
    }
  });
});
