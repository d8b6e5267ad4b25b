// XEP-0368 direct TLS on the client port for it (5223 by default): a real client logs in and chats,
// and sockets stalled in their TLS handshake count against the per-address cap of unauthenticated
// connections (issue 9 item 4), while other addresses are served.
import assert from 'node:assert/strict';
import { connect as tcpConnect, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { connect as tlsConnect } from 'node:tls';
import { startTestServer, type TestServer } from './harness/server.ts';
import { XmppJsClient, xml } from './harness/xmppjs.ts';

const T = { timeout: 30_000 };
const OTHER_ADDRESS = '127.0.0.2';
const CAP = 3;

async function refusedCount(ts: TestServer, limit: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${ts.ports.http}/metrics`)).text();
  const m = new RegExp(`^parley_limit_refused_total\\{limit="${limit}"\\} (\\d+)`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
}

/** A TCP connection to the direct-TLS port that never starts its handshake. */
function stalled(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = tcpConnect({ host: '127.0.0.1', port }, () => resolve(s));
    s.once('error', reject);
  });
}

/** Resolves true when the server has closed the socket (at once if it already has), false if it stays open past `ms`. */
function closedWithin(s: Socket, ms: number): Promise<boolean> {
  if (s.closed) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    s.once('close', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/** A TLS handshake from `localAddress`: resolves with the negotiated ALPN protocol. */
function handshake(port: number, localAddress?: string): Promise<string | false | null> {
  return new Promise((resolve, reject) => {
    const socket = tcpConnect({ host: '127.0.0.1', port, localAddress });
    const s = tlsConnect({ socket, rejectUnauthorized: false, ALPNProtocols: ['xmpp-client'] }, () => {
      resolve(s.alpnProtocol);
      s.destroy();
    });
    s.once('error', reject);
  });
}

describe('direct TLS (XEP-0368)', () => {
  let ts: TestServer;
  before(async () => {
    ts = await startTestServer({ limitUnauthenticated: CAP, streamHeaderTimeoutSec: 3 });
    await ts.addUsers(['dtalice', 'pw-alice'], ['dtbob', 'pw-bob']);
  });
  after(() => ts.stop());

  test('xmpp.js logs in over direct TLS and chats with a STARTTLS client', T, async () => {
    const opts = { domain: ts.domain, fingerprint: ts.server.fingerprint };
    const alice = await XmppJsClient.connect({ ...opts, service: `xmpps://127.0.0.1:${ts.ports.c2sTls}`, username: 'dtalice', password: 'pw-alice', resource: 'tls' });
    const bob = await XmppJsClient.connect({ ...opts, service: `xmpp://127.0.0.1:${ts.ports.c2s}`, username: 'dtbob', password: 'pw-bob', resource: 'pc' });
    try {
      await alice.send(xml('message', { to: `dtbob@${ts.domain}/pc`, type: 'chat' }, xml('body', null, 'over direct TLS')));
      const got = await bob.message(`dtalice@${ts.domain}/tls`, 'her message');
      assert.equal(got.getChildText('body'), 'over direct TLS');
    } finally {
      await Promise.all([alice.stop(), bob.stop()]);
    }
  });

  test('sockets stalled in the TLS handshake count against the unauthenticated cap; another address is served', T, async () => {
    const before = await refusedCount(ts, 'unauthenticated');
    const held = await Promise.all(Array.from({ length: CAP }, () => stalled(ts.ports.c2sTls)));
    try {
      const extra = await stalled(ts.ports.c2sTls);
      assert.equal(await closedWithin(extra, 5_000), true, 'the connection over the cap is dropped at once');
      assert.equal(await refusedCount(ts, 'unauthenticated'), before + 1);
      assert.equal(await handshake(ts.ports.c2sTls, OTHER_ADDRESS), 'xmpp-client', 'another address completes its handshake');
      // The stalled handshakes end at the deadline (RFC 6120 §4.6.1 leaves it to the server), freeing the cap.
      for (const s of held) assert.equal(await closedWithin(s, 10_000), true, 'a stalled handshake is closed');
      assert.equal(await handshake(ts.ports.c2sTls), 'xmpp-client', 'this address is served again');
    } finally {
      for (const s of held) s.destroy();
    }
  });
});
