// Parley-to-Parley federation in cluster mode (issue 11, item 2). The shared cluster (domain
// `localhost`, two edges, two session and two presence processes) has two s2s processes with a
// certificate from a test CA naming its domain (`federationFixture`, made before the cluster
// starts); the peer is an embedded Parley for b.test trusting the same CA, started here. Alice
// (xmpp.js, edge 1) and Carol (slixmpp, edge 2) befriend Bob (xmpp.js, b.test): subscriptions,
// presence, messages and IQs both ways, through actors in several processes; bursts keep their
// order and one stream per domain pair is used across both s2s processes (decision 0032); Alice
// blocks Bob (XEP-0191) and it holds. Certificates are checked both ways under require-valid
// (RFC 6120 §13.7.2), and a peer speaks only for the domain it authenticated.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { Server } from 'node:net';
import { openPostgres } from '@parley/store';
import { flush } from '../../harness/flush.ts';
import { startTestServer, type TestServer } from '../../harness/server.ts';
import { SlixClient } from '../../harness/slix.ts';
import { XmppJsClient, xml, type XmlElement } from '../../harness/xmppjs.ts';
import { freePort, TestCa } from '../../s2s-ca.ts';
import { FIRST_CROSSING, flushAcross } from '../../s2s-pair.ts';
import { RawPeer, wrongNameServer } from '../../s2s-peer.ts';
import { type ClusterProcess, password } from '../harness.ts';
import type { Scenario } from '../shared.ts';

const REMOTE = 'b.test';
const NS_BLOCKING = 'urn:xmpp:blocking';
const from = (el: XmlElement) => el.attrs.from ?? '';
const condition = (el: XmlElement) => el.getChild('error')?.getChildElements().find((c) => c.name !== 'text')?.name;

/** What the shared cluster's s2s processes are started with, made before the cluster starts. */
export interface FederationFixture {
  /** The test CA both sides trust; it issued the cluster's certificate (naming its domain). */
  ca: TestCa;
  /** Where b.test (started by the scenario) and the wrong.test impostor will listen. */
  remotePort: number;
  impostorPort: number;
  /** Settings of the s2s processes: require-valid, the certificate, the CA, static hosts. */
  env: Record<string, string>;
  remove(): void;
}

export async function federationFixture(domain: string): Promise<FederationFixture> {
  const ca = new TestCa('ca');
  const [remotePort, impostorPort] = [await freePort(), await freePort()];
  const own = ca.issue([domain]);
  return {
    ca,
    remotePort,
    impostorPort,
    env: {
      PARLEY_S2S_POLICY: 'require-valid',
      PARLEY_TLS_CERT: own.certFile,
      PARLEY_TLS_KEY: own.keyFile,
      PARLEY_S2S_CA_FILE: ca.caFile,
      // The peers know each other only through static hosts (no DNS in tests).
      PARLEY_S2S_STATIC_HOSTS: `${REMOTE}=127.0.0.1:${remotePort},wrong.test=127.0.0.1:${impostorPort}`,
    },
    remove: () => ca.remove(),
  };
}

export async function federatesAcrossEdges({ cluster, user, addUsers }: Scenario, fixture: FederationFixture): Promise<void> {
  const local = cluster.domain;
  const { ca } = fixture;
  const rogue = new TestCa('rogue');
  const schema = `parley_s2s_${randomBytes(4).toString('hex')}`;
  const open: Array<{ stop(): Promise<void> }> = [];
  const peers: RawPeer[] = [];
  let remote: TestServer | undefined;
  let impostor: Server | undefined;
  try {
    const [aJid, cJid] = await addUsers(['alice', 'carol']);
    const [edge1, edge2] = cluster.edges();
    // Two s2s processes: b.test reaches the first; stanzas to b.test leave through whichever owns its shard.
    const [s2s, s2sOther] = cluster.live('s2s');
    assert.ok(edge1 && edge2 && s2s && s2sOther && aJid && cJid);
    // wrong.test answers with a certificate the trusted CA issued for another name.
    impostor = await wrongNameServer('wrong.test', ca.issue(['d.test']), fixture.impostorPort);
    const remoteCert = ca.issue([REMOTE]);
    remote = await startTestServer({
      domain: REMOTE,
      databaseUrl: cluster.urls.database,
      databaseSchema: schema,
      logLevel: 'silent',
      s2sPort: fixture.remotePort,
      tlsCert: remoteCert.certFile,
      tlsKey: remoteCert.keyFile,
      s2sCaFile: ca.caFile,
      s2sStaticHosts: `${local}=127.0.0.1:${s2s.s2s}`,
    });
    await remote.addUsers(['bob', 'pw-bob'], ['dave', 'pw-dave']);
    const bJid = `bob@${REMOTE}`;

    const onCluster = async (name: string, edge: ClusterProcess) => {
      const c = await XmppJsClient.connect({ service: `xmpp://127.0.0.1:${edge.c2s}`, domain: local, username: user(name), password: password(user(name)), resource: 'js', fingerprint: edge.fingerprint });
      open.push(c);
      return c;
    };
    const onRemote = async (name: string) => {
      const c = await XmppJsClient.connect({ service: `xmpp://127.0.0.1:${remote!.ports.c2s}`, domain: REMOTE, username: name, password: `pw-${name}`, resource: 'r', fingerprint: remote!.server.fingerprint });
      open.push(c);
      return c;
    };
    const alice = await onCluster('alice', edge1);
    alice.xmpp.iqCallee.set(NS_BLOCKING, 'block', () => ({}) as never);
    const carol = await SlixClient.connect({ jid: `${cJid}/slix`, password: password(user('carol')), port: edge2.c2s, mech: 'SCRAM-SHA-256' });
    open.push(carol);
    const bob = await onRemote('bob');
    // XEP-0199 §4: a client answers a ping to its full JID.
    bob.xmpp.iqCallee.get('urn:xmpp:ping', 'ping', () => true);
    const dave = await onRemote('dave');
    await alice.send(xml('presence'));
    await bob.send(xml('presence'));

    // Subscriptions both ways, each asked from the other side (RFC 6121 §3.1): Alice asks Bob, Bob asks Carol.
    await alice.send(xml('presence', { to: bJid, type: 'subscribe' }));
    await bob.next((e) => e.is('presence') && e.attrs.type === 'subscribe' && from(e) === aJid, 'alice’s request at b.test', FIRST_CROSSING);
    await bob.send(xml('presence', { to: aJid, type: 'subscribed' }));
    await bob.send(xml('presence', { to: aJid, type: 'subscribe' }));
    await alice.next((e) => e.is('presence') && e.attrs.type === 'subscribe' && from(e) === bJid, 'bob’s request on edge 1');
    await alice.send(xml('presence', { to: bJid, type: 'subscribed' }));
    await bob.send(xml('presence', { to: cJid, type: 'subscribe' }));
    await carol.presence((p) => p.type === 'subscribe' && p.from === bJid, 'bob’s request on edge 2');
    await carol.approve(bJid);
    await carol.subscribe(bJid);
    await bob.next((e) => e.is('presence') && e.attrs.type === 'subscribe' && from(e) === cJid, 'carol’s request at b.test');
    await bob.send(xml('presence', { to: cJid, type: 'subscribed' }));

    // Presence both ways: each side's current presence follows its approval (RFC 6121 §3.1.5), stamped with the sender's full JID.
    await alice.next((e) => e.is('presence') && from(e) === bob.jid && e.attrs.type === undefined, 'bob available on edge 1');
    await bob.next((e) => e.is('presence') && from(e) === alice.jid && e.attrs.type === undefined, 'alice available at b.test');
    await carol.presence((p) => p.type === 'available' && p.from === bob.jid, 'bob available on edge 2');
    await bob.next((e) => e.is('presence') && from(e) === `${cJid}/slix` && e.attrs.type === undefined, 'carol available at b.test');
    const item = (await alice.rosterGet()).getChild('query')?.getChildren('item').find((i) => i.attrs.jid === bJid);
    assert.equal(item?.attrs.subscription, 'both');
    // One broadcast from b.test reaches both edges; one from each edge reaches b.test.
    await bob.send(xml('presence', {}, xml('show', {}, 'away'), xml('status', {}, 'lunch')));
    await alice.next((e) => e.is('presence') && from(e) === bob.jid && e.getChildText('status') === 'lunch', 'bob’s away on edge 1');
    await carol.presence((p) => p.from === bob.jid && p.status === 'lunch', 'bob’s away on edge 2');
    await alice.send(xml('presence', {}, xml('show', {}, 'dnd')));
    await bob.next((e) => e.is('presence') && from(e) === alice.jid && e.getChildText('show') === 'dnd', 'alice’s dnd at b.test');
    await carol.sendPresence({ show: 'xa', status: 'gone fishing' });
    await bob.next((e) => e.is('presence') && from(e) === `${cJid}/slix` && e.getChildText('status') === 'gone fishing', 'carol’s status at b.test');

    // Messages both ways, from and to both edges (session actors in either process).
    await alice.send(xml('message', { to: bJid, type: 'chat', id: 'fa1' }, xml('body', {}, 'hello from edge 1')));
    assert.equal((await bob.message(alice.jid, 'alice’s message')).getChildText('body'), 'hello from edge 1');
    await carol.sendMessage(bJid, 'hello from edge 2');
    await bob.next((e) => e.is('message') && from(e) === `${cJid}/slix` && e.getChildText('body') === 'hello from edge 2', 'carol’s message');
    await bob.send(xml('message', { to: alice.jid, type: 'chat', id: 'fb1' }, xml('body', {}, 'hi alice')));
    assert.equal(from(await alice.next((e) => e.is('message') && e.getChildText('body') === 'hi alice', 'bob’s answer on edge 1')), bob.jid);
    await bob.send(xml('message', { to: cJid, type: 'chat', id: 'fb2' }, xml('body', {}, 'hi carol')));
    await carol.message((m) => m.from === bob.jid && m.body === 'hi carol', 'bob’s answer on edge 2');

    // Order holds between two processes (RFC 6120 §10.1): a burst from each edge arrives at b.test as sent.
    const burst = Array.from({ length: 20 }, (_, i) => `burst ${i}`);
    for (const body of burst) {
      await alice.send(xml('message', { to: bJid, type: 'chat' }, xml('body', {}, body)));
      await carol.sendMessage(bJid, `carol's ${body}`);
    }
    const got: string[] = [];
    while (got.length < burst.length * 2) got.push((await bob.next((e) => e.is('message') && /burst/.test(e.getChildText('body') ?? ''), 'the burst')).getChildText('body') ?? '');
    assert.deepEqual(got.filter((b) => !b.startsWith('carol')), burst, 'alice’s burst in order');
    assert.deepEqual(got.filter((b) => b.startsWith('carol')), burst.map((b) => `carol's ${b}`), 'carol’s burst in order');

    // IQs to full JIDs across: answered by the remote client, and by slixmpp on edge 2 (XEP-0092).
    const pong = await alice.iq(xml('iq', { type: 'get', to: bob.jid }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
    assert.equal(pong.attrs.type, 'result');
    assert.equal(from(pong), bob.jid);
    const version = await bob.iq(xml('iq', { type: 'get', to: `${cJid}/slix` }, xml('query', { xmlns: 'jabber:iq:version' })));
    assert.equal(from(version), `${cJid}/slix`);
    assert.ok(version.getChild('query')?.getChildText('name'), version.toString());
    await carol.ping(bob.jid);

    // RFC 6120 §13.7.2 outbound: a server whose certificate does not name its domain gets nothing, the sender a bounce.
    await alice.send(xml('message', { to: 'eve@wrong.test', type: 'chat', id: 'fw1' }, xml('body', {}, 'secret')));
    const bounce = await alice.next((e) => e.is('message') && e.attrs.type === 'error' && e.attrs.id === 'fw1', 'the bounce for wrong.test', FIRST_CROSSING);
    assert.equal(condition(bounce), 'remote-server-not-found');
    assert.equal(from(bounce), 'wrong.test');
    assert.match(bounce.getChild('error')?.getChildText('text') ?? '', /does not name wrong\.test/);
    // Inbound: a certificate from a CA nobody trusts is refused before anything is read.
    const untrusted = await RawPeer.connect(s2s.s2s, 'c.test', local);
    peers.push(untrusted);
    await untrusted.startTls(rogue.issue(['c.test'])).catch(() => {});
    assert.equal(await untrusted.streamError(), 'policy-violation');
    // A peer speaks only for the domain it authenticated (RFC 6120 §13.7.1.1 after SASL EXTERNAL, XEP-0178).
    const peer = await RawPeer.connect(s2s.s2s, 'c.test', local);
    peers.push(peer);
    await peer.startTls(ca.issue(['c.test']));
    await peer.authenticate();
    peer.write(`<message from='zed@c.test/x' to='${aJid}' type='chat'><body>legit</body></message>`);
    await alice.next((e) => e.is('message') && from(e) === 'zed@c.test/x' && e.getChildText('body') === 'legit', 'the message from c.test');
    peer.write(`<message from='${bob.jid}' to='${aJid}' type='chat'><body>spoofed</body></message>`);
    assert.equal(await peer.streamError(), 'invalid-from');

    // XEP-0191 with a remote JID: Alice blocks Bob; he sees her go offline (§3.3), his stanzas are refused (§3.5).
    await alice.iq(xml('iq', { type: 'set' }, xml('block', { xmlns: NS_BLOCKING }, xml('item', { jid: bJid }))));
    await bob.next((e) => e.is('presence') && from(e) === alice.jid && e.attrs.type === 'unavailable', 'alice gone for bob');
    await bob.send(xml('message', { to: aJid, type: 'chat', id: 'fblocked' }, xml('body', {}, 'are you there?')));
    const refusal = await bob.next((e) => e.is('message') && e.attrs.type === 'error' && e.attrs.id === 'fblocked', 'the refusal at b.test');
    assert.equal(condition(refusal), 'service-unavailable');
    await bob.send(xml('presence', {}, xml('status', {}, 'while blocked')));
    // Carol, who does not block him, still gets his presence: the broadcast was sent, Alice's actor dropped it.
    await carol.presence((p) => p.from === bob.jid && p.status === 'while blocked', 'bob’s status on edge 2');
    await alice.send(xml('message', { to: bJid, type: 'chat', id: 'fto-blocked' }, xml('body', {}, 'hidden')));
    const own = await alice.next((e) => e.is('message') && e.attrs.type === 'error' && e.attrs.id === 'fto-blocked', 'alice’s refused message');
    assert.ok(own.getChild('error')?.getChild('blocked', 'urn:xmpp:blocking:errors'), own.toString());
    await flushAcross(dave, alice);
    await flush(bob);
    for (const leak of ['are you there?', 'while blocked', 'spoofed']) assert.ok(!alice.received.some((s) => s.includes(leak)), `alice never saw “${leak}”`);
    assert.ok(!bob.received.some((s) => s.includes('hidden')), 'bob never saw the message to a blocked contact');

    // One stream each way with b.test across both s2s processes, reused for everything above (RFC 6120 §4.2.2).
    const streams = [...(await s2s.metricLines('parley_s2s_connections')), ...(await s2sOther.metricLines('parley_s2s_connections'))];
    for (const direction of ['in', 'out']) {
      const lines = streams.filter((l) => l.includes(`direction="${direction}"`) && l.includes(`domain="${REMOTE}"`) && !l.endsWith(' 0'));
      assert.ok(lines.length === 1 && lines[0]!.endsWith(' 1'), `one ${direction}bound stream with ${REMOTE}: ${streams.join('; ')}`);
    }
  } finally {
    for (const p of peers) p.close();
    await Promise.all(open.map((c) => c.stop()));
    await remote?.stop();
    impostor?.close();
    const sql = await openPostgres(cluster.urls.database);
    await sql.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).finally(() => sql.close());
    rogue.remove();
  }
}
