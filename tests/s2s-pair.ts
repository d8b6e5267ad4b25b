// Two embedded Parley servers federating on loopback (a.test and b.test, static hosts, a test CA, each on
// its own Postgres scratch schema), for test files about what crosses the federation. Registers the
// file's before/after; `login` opens xmpp.js clients that are closed at the end.
import { randomBytes } from 'node:crypto';
import { after, before } from 'node:test';
import type { EmbeddedOverrides } from '@parley/cli';
import { DEFAULT_TEST_DATABASE_URL, openPostgres } from '@parley/store';
import { startTestServer, type TestServer } from './harness/server.ts';
import { SlixClient } from './harness/slix.ts';
import { XmppJsClient, xml } from './harness/xmppjs.ts';
import { freePort, TestCa } from './s2s-ca.ts';

/** The first stanza across opens the streams (resolution, TLS both ways, SASL EXTERNAL): longer on a busy machine. */
export const FIRST_CROSSING = 15_000;

export interface ParleyPair {
  a(): TestServer;
  b(): TestServer;
  /** An xmpp.js client of `user` (password `pw-<user>`) on `server`, resource `r`. */
  login(server: TestServer, user: string): Promise<XmppJsClient>;
  /** A slixmpp client of `user` on `server`, resource `slix`. */
  slix(server: TestServer, user: string): Promise<SlixClient>;
  /** The CA both servers trust, for a third peer (a cluster's s2s process). */
  ca: TestCa;
}

export function parleyPair(users: { a: string[]; b: string[] }, extra: { a?: EmbeddedOverrides; b?: EmbeddedOverrides } = {}): ParleyPair {
  const ca = new TestCa('ca');
  const schemas = [1, 2].map(() => `parley_s2s_${randomBytes(4).toString('hex')}`);
  const open: Array<{ stop(): Promise<void> }> = [];
  let a: TestServer;
  let b: TestServer;
  before(async () => {
    const [pa, pb] = [await freePort(), await freePort()];
    const [certA, certB] = [ca.issue(['a.test']), ca.issue(['b.test'])];
    const common = { s2sCaFile: ca.caFile, logLevel: 'silent' as const, databaseUrl: DEFAULT_TEST_DATABASE_URL };
    [a, b] = await Promise.all([
      startTestServer({ ...common, databaseSchema: schemas[0], domain: 'a.test', s2sPort: pa, tlsCert: certA.certFile, tlsKey: certA.keyFile, s2sStaticHosts: `b.test=127.0.0.1:${pb}`, ...extra.a }),
      startTestServer({ ...common, databaseSchema: schemas[1], domain: 'b.test', s2sPort: pb, tlsCert: certB.certFile, tlsKey: certB.keyFile, s2sStaticHosts: `a.test=127.0.0.1:${pa}`, ...extra.b }),
    ]);
    await a.addUsers(...users.a.map((u): [string, string] => [u, `pw-${u}`]));
    await b.addUsers(...users.b.map((u): [string, string] => [u, `pw-${u}`]));
  });
  after(async () => {
    await Promise.all(open.splice(0).map((c) => c.stop()));
    await a?.stop();
    await b?.stop();
    const sql = await openPostgres(DEFAULT_TEST_DATABASE_URL);
    for (const s of schemas) await sql.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
    await sql.close();
    ca.remove();
  });
  return {
    a: () => a,
    b: () => b,
    ca,
    async login(ts, user) {
      const c = await XmppJsClient.connect({ service: `xmpp://127.0.0.1:${ts.ports.c2s}`, domain: ts.domain, username: user, password: `pw-${user}`, resource: 'r', fingerprint: ts.server.fingerprint });
      open.push(c);
      return c;
    },
    async slix(ts, user) {
      const c = await SlixClient.connect({ jid: `${user}@${ts.domain}/slix`, password: `pw-${user}`, port: ts.ports.c2s, mech: 'SCRAM-SHA-256' });
      open.push(c);
      return c;
    },
  };
}

/**
 * Proves that nothing more from `sender`'s server is on its way to `receiver` (RFC 6120 §10.1: one
 * stream per direction keeps its order): `via`, an account on the sender's server whom the receiver
 * does not block, sends a directed presence (which takes the path of presence) and a message (the path
 * of messages), and the receiver waits for both.
 */
export async function flushAcross(via: XmppJsClient, receiver: XmppJsClient): Promise<void> {
  const to = receiver.jid.split('/')[0]!;
  const id = `flush-${randomBytes(4).toString('hex')}`;
  await via.send(xml('presence', { to, id }, xml('status', {}, id)));
  await via.send(xml('message', { to, id, type: 'chat' }, xml('body', {}, id)));
  await receiver.next((e) => e.is('presence') && e.getChildText('status') === id, 'the flushing presence');
  await receiver.next((e) => e.is('message') && e.attrs.id === id, 'the flushing message');
}
