import assert from 'node:assert/strict';
import { X509Certificate, createHash } from 'node:crypto';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { type TLSSocket, connect, createServer } from 'node:tls';
import { generate } from 'selfsigned';
import { serverEndPoint, tlsChannelBinding } from './index.ts';

test('both ends of a TLS 1.3 connection compute the same tls-exporter and tls-server-end-point data', async () => {
  const pems = await generate([{ name: 'commonName', value: 'localhost' }], { keyType: 'ec', algorithm: 'sha384' });
  const server = createServer({ key: pems.private, cert: pems.cert, minVersion: 'TLSv1.3' });
  const accepted = once(server, 'secureConnection') as Promise<[TLSSocket]>;
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const client = connect({ port: (server.address() as AddressInfo).port, host: '127.0.0.1', rejectUnauthorized: false });
  try {
    await once(client, 'secureConnect');
    const [serverSide] = await accepted;
    const binding = tlsChannelBinding(serverSide);
    assert.deepEqual(binding('tls-exporter'), client.exportKeyingMaterial(32, 'EXPORTER-Channel-Binding', Buffer.alloc(0)));
    // RFC 5929 §4.1: an ecdsa-with-SHA384 certificate is hashed with SHA-384.
    const peerDer = client.getPeerCertificate().raw;
    assert.deepEqual(binding('tls-server-end-point'), createHash('sha384').update(peerDer).digest());
    serverSide.destroy();
  } finally {
    client.destroy();
    server.close();
  }
});

test('tls-server-end-point upgrades a SHA-1 signature hash to SHA-256', async () => {
  const pems = await generate([{ name: 'commonName', value: 'localhost' }], { keyType: 'ec', algorithm: 'sha1' });
  const der = new X509Certificate(pems.cert).raw;
  assert.deepEqual(serverEndPoint(der), createHash('sha256').update(der).digest());
});

test('tls-server-end-point gives nothing for an unparsable certificate', () => {
  assert.equal(serverEndPoint(Buffer.from([0x30, 0x03, 0x02, 0x01])), undefined);
});
