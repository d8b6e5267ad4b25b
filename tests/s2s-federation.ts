// Federation with a peer server from Debian on loopback (Prosody, ejabberd): a private peer (certificates
// required, the test CA) and an embedded Parley, each with a real xmpp.js client: subscription both ways,
// presence both ways, messages both ways (RFC 6120 s2s with STARTTLS and SASL EXTERNAL, XEP-0178).
// The peer finds Parley through a test DNS server (SRV), Parley finds the peer through static hosts.
import assert from 'node:assert/strict';
import { randomBytes, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { DEFAULT_TEST_DATABASE_URL, openPostgres } from '@parley/store';
import { startTestServer, type TestServer } from './harness/server.ts';
import { XmppJsClient, xml } from './harness/xmppjs.ts';
import { freePort, type IssuedCert, TestCa } from './s2s-ca.ts';
import { TestDns } from './s2s-dns.ts';

const T = { timeout: 30_000 };
/** The first stanza across opens the streams (resolution, TLS both ways, SASL EXTERNAL): longer on a busy machine. */
const FIRST_CROSSING = 15_000;

/** Not *.test: some resolvers (Prosody's unbound) answer NXDOMAIN for that reserved zone themselves. */
export const PARLEY = 'parley.example';

export interface PeerServer {
  readonly c2sPort: number;
  log(): string;
  stop(): Promise<void>;
}

export interface PeerSpec {
  /** As people write it (Prosody, ejabberd); also names PARLEY_KEEP_<NAME>_LOG. */
  name: string;
  domain: string;
  start(o: { dir: string; domain: string; cert: IssuedCert; caFile: string; dnsPort: number; users: Array<[string, string]>; s2sPort: number }): Promise<PeerServer>;
  /** What the peer's log must show: our certificate checked, SASL EXTERNAL accepted, no dialback. */
  checkLog(log: string, parleyDomain: string): void;
}

/** The federation conversation with one peer: registers the file's setup and its tests. */
export function federationWith(spec: PeerSpec): void {
  const ca = new TestCa('ca');
  const dir = mkdtempSync(join(tmpdir(), `parley-${spec.name.toLowerCase()}-`));
  const schema = `parley_s2s_${randomBytes(4).toString('hex')}`;
  let dns: TestDns;
  let peer: PeerServer;
  let parley: TestServer;
  const open: XmppJsClient[] = [];

  before(async () => {
    const [parleyS2s, peerS2s] = [await freePort(), await freePort()];
    dns = await TestDns.start(new Map([[PARLEY, parleyS2s]]));
    const peerCert = ca.issue([spec.domain]);
    const cert = ca.issue([PARLEY]);
    // Both servers start at once: each knows the other's port beforehand.
    const starting = spec.start({ dir, domain: spec.domain, cert: peerCert, caFile: ca.caFile, dnsPort: dns.port, users: [['romeo', 'pw-romeo']], s2sPort: peerS2s });
    const server = startTestServer({
      domain: PARLEY,
      databaseUrl: DEFAULT_TEST_DATABASE_URL,
      databaseSchema: schema,
      logLevel: 'silent',
      tlsCert: cert.certFile,
      tlsKey: cert.keyFile,
      s2sCaFile: ca.caFile,
      s2sPort: parleyS2s,
      s2sStaticHosts: `${spec.domain}=127.0.0.1:${peerS2s}`,
    });
    [peer, parley] = await Promise.all([starting, server]);
    await parley.addUsers(['juliet', 'pw-juliet']);
  });

  after(async () => {
    await Promise.all(open.map((c) => c.stop()));
    await parley?.stop();
    await peer?.stop();
    dns?.stop();
    const sql = await openPostgres(DEFAULT_TEST_DATABASE_URL);
    await sql.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await sql.close();
    // PARLEY_KEEP_<NAME>_LOG=<file>: keep the peer's debug log for a look at the negotiation.
    const keep = process.env[`PARLEY_KEEP_${spec.name.toUpperCase()}_LOG`];
    if (keep) writeFileSync(keep, peer?.log() ?? '');
    rmSync(dir, { recursive: true, force: true });
    ca.remove();
  });

  async function clients(): Promise<{ juliet: XmppJsClient; romeo: XmppJsClient }> {
    const juliet = await XmppJsClient.connect({ service: `xmpp://127.0.0.1:${parley.ports.c2s}`, domain: PARLEY, username: 'juliet', password: 'pw-juliet', resource: 'balcony', fingerprint: parley.server.fingerprint });
    open.push(juliet);
    const romeo = await XmppJsClient.connect({
      service: `xmpp://127.0.0.1:${peer.c2sPort}`,
      domain: spec.domain,
      username: 'romeo',
      password: 'pw-romeo',
      resource: 'garden',
      fingerprint: new X509Certificate(readFileSync(join(ca.dir, 'cert0.pem'))).fingerprint256,
      scram: 'sha1',
    });
    open.push(romeo);
    return { juliet, romeo };
  }

  let juliet: XmppJsClient;
  let romeo: XmppJsClient;

  test(`juliet on Parley and romeo on ${spec.name} subscribe to each other and see each other online`, T, async () => {
    ({ juliet, romeo } = await clients());
    await juliet.send(xml('presence'));
    await romeo.send(xml('presence'));
    await juliet.send(xml('presence', { to: `romeo@${spec.domain}`, type: 'subscribe' }));
    await romeo.next((e) => e.is('presence') && e.attrs.type === 'subscribe' && e.attrs.from === `juliet@${PARLEY}`, `the request from Parley at ${spec.name}`, FIRST_CROSSING);
    await romeo.send(xml('presence', { to: `juliet@${PARLEY}`, type: 'subscribed' }));
    await romeo.send(xml('presence', { to: `juliet@${PARLEY}`, type: 'subscribe' }));
    await juliet.next((e) => e.is('presence') && e.attrs.type === 'subscribe' && e.attrs.from === `romeo@${spec.domain}`, `the request from ${spec.name} at Parley`);
    await juliet.send(xml('presence', { to: `romeo@${spec.domain}`, type: 'subscribed' }));
    await juliet.next((e) => e.is('presence') && e.attrs.from === `romeo@${spec.domain}/garden` && e.attrs.type === undefined, "romeo's presence at Parley");
    await romeo.next((e) => e.is('presence') && e.attrs.from === `juliet@${PARLEY}/balcony` && e.attrs.type === undefined, `juliet's presence at ${spec.name}`);
    const item = (await juliet.rosterGet()).getChild('query')?.getChildren('item').find((i) => i.attrs.jid === `romeo@${spec.domain}`);
    assert.equal(item?.attrs.subscription, 'both');
  });

  test('presence changes travel both ways', T, async () => {
    await romeo.send(xml('presence', {}, xml('show', {}, 'away')));
    await juliet.next((e) => e.is('presence') && e.attrs.from === `romeo@${spec.domain}/garden` && e.getChildText('show') === 'away', "romeo's away at Parley");
    await juliet.send(xml('presence', {}, xml('show', {}, 'xa'), xml('status', {}, 'asleep')));
    const p = await romeo.next((e) => e.is('presence') && e.attrs.from === `juliet@${PARLEY}/balcony` && e.getChildText('show') === 'xa', `juliet's xa at ${spec.name}`);
    assert.equal(p.getChildText('status'), 'asleep');
  });

  test('messages travel both ways', T, async () => {
    await juliet.send(xml('message', { to: `romeo@${spec.domain}`, type: 'chat', id: 'j1' }, xml('body', {}, 'Wherefore art thou')));
    const m = await romeo.message(`juliet@${PARLEY}/balcony`, `the message from Parley at ${spec.name}`);
    assert.equal(m.getChildText('body'), 'Wherefore art thou');
    await romeo.send(xml('message', { to: `juliet@${PARLEY}/balcony`, type: 'chat', id: 'r1' }, xml('body', {}, 'By a name')));
    const back = await juliet.message(`romeo@${spec.domain}/garden`, `the message from ${spec.name} at Parley`);
    assert.equal(back.getChildText('body'), 'By a name');
  });

  test(`both streams authenticated with certificates: ${spec.name} logs SASL EXTERNAL, Parley counts both directions`, T, async () => {
    const metrics = await (await fetch(`http://127.0.0.1:${parley.ports.http}/metrics`)).text();
    assert.match(metrics, new RegExp(`parley_s2s_connections\\{direction="out",domain="${spec.domain}"\\} 1`));
    assert.match(metrics, new RegExp(`parley_s2s_connections\\{direction="in",domain="${spec.domain}"\\} 1`));
    spec.checkLog(peer.log(), PARLEY);
  });

  test(`when the unavailable goes, ${spec.name} learns of it: juliet logs out and romeo sees her unavailable`, T, async () => {
    await juliet.stop();
    await romeo.next((e) => e.is('presence') && e.attrs.from === `juliet@${PARLEY}/balcony` && e.attrs.type === 'unavailable', `juliet's unavailable at ${spec.name}`);
  });
}
