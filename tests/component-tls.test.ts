// The component listener with PARLEY_COMPONENT_TLS: direct TLS with the server certificate, and then
// a component from an address that is not loopback is accepted (without TLS it is refused:
// tests/component.test.ts). One federation service on the in-process bus, a Postgres scratch schema.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as netConnect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { after, before, test } from 'node:test';
import { LocalBus } from '@parley/bus';
import { loadConfig } from '@parley/config';
import { loadTlsMaterial } from '@parley/edge';
import { createLogger } from '@parley/log';
import { buildS2SService, handshakeDigest, NS_COMPONENT, type S2SService, serverKeys } from '@parley/s2s';
import { NS } from '@parley/stanza';
import { componentRepo, openScratchPostgres, type Sql } from '@parley/store';
import type { WireMessage } from '@parley/wire';
import { type Element, StreamParser } from '@parley/xml';
import { Registry } from 'prom-client';
import { Inbox } from './harness/inbox.ts';

const T = { timeout: 30_000 };
const GW = 'gw.localhost';
const SECRET = 'tls-component-secret-0123456';
const dataDir = mkdtempSync(join(tmpdir(), 'parley-component-tls-'));
let sql: Sql;
let s2s: S2SService;
let port: number;
let fingerprint: string;

before(async () => {
  sql = await openScratchPostgres();
  await sql.exec(readFileSync(new URL('../migrations/0023_components.sql', import.meta.url), 'utf8'));
  const config = loadConfig({}, { domain: 'localhost', dataDir, s2sPolicy: 'off', componentPort: 0, componentTls: true, logLevel: 'silent' });
  await componentRepo(sql).add(GW, serverKeys(config).seal(GW, SECRET));
  const log = createLogger({ level: 'silent' });
  const tls = await loadTlsMaterial({ certFile: null, keyFile: null, dataDir, domain: 'localhost', log });
  fingerprint = tls.fingerprint;
  s2s = buildS2SService({ config, log, bus: new LocalBus<WireMessage>(() => {}), tls, registry: new Registry(), components: componentRepo(sql) });
  port = (await s2s.start()).component;
});
after(async () => {
  await s2s?.stop();
  await sql?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

test('over TLS a component connects from an address that is not loopback and completes the handshake', T, async () => {
  const address = Object.values(networkInterfaces()).flat().find((a) => a && a.family === 'IPv4' && !a.internal)?.address;
  assert.ok(address, 'this host needs a non-loopback IPv4 address for the test');
  const inbox = new Inbox<Element>('tls component', (e) => e.toString());
  let header: Record<string, string> | null = null;
  const parser = new StreamParser({ onStreamStart: (_n, attrs) => (header = attrs), onStanza: (el) => inbox.push(el), onStreamEnd: () => inbox.close('stream closed'), onError: (e) => inbox.close(e.message) }, {});
  // The self-signed server certificate: checked by its fingerprint, as an operator would pin it.
  const tcp = netConnect({ host: '127.0.0.1', port, localAddress: address });
  await new Promise((r) => tcp.once('connect', r));
  assert.equal(tcp.localAddress, address, 'the connection comes from the non-loopback address');
  const sock = tlsConnect({ socket: tcp, servername: 'localhost', rejectUnauthorized: false });
  await new Promise((r) => sock.once('secureConnect', r));
  assert.equal(sock.getPeerX509Certificate()?.fingerprint256, fingerprint);
  sock.on('data', (d) => parser.write(d));
  sock.write(`<?xml version='1.0'?><stream:stream xmlns='${NS_COMPONENT}' xmlns:stream='${NS.stream}' to='${GW}'>`);
  for (let i = 0; header === null && i < 500; i++) await new Promise((r) => setTimeout(r, 10));
  const id = (header as Record<string, string> | null)?.id ?? '';
  sock.write(`<handshake>${handshakeDigest(id, SECRET)}</handshake>`);
  await inbox.next((e) => e.is('handshake', NS_COMPONENT), 'the handshake accepted');
  sock.destroy();
});
