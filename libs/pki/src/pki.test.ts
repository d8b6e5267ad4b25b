import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createClientCa, fingerprintOf, issueClientCert, issuedBy, PkiError, signCsr, xmppAddrsOf } from './index.ts';

const opts = { days: 30, passphrase: null };

test('an issued certificate names the JID as XmppAddr and CN, is for client auth, and chains to the CA', async () => {
  const ca = await createClientCa('example.com', { days: 365, passphrase: null });
  const issued = await issueClientCert(ca, 'alice@example.com', opts);
  const cert = new X509Certificate(issued.certPem);
  assert.deepEqual(xmppAddrsOf(cert.raw), ['alice@example.com']);
  assert.match(cert.subject, /CN=alice@example.com/);
  assert.equal(cert.keyUsage?.includes('1.3.6.1.5.5.7.3.2'), true);
  assert.equal(issuedBy(cert, ca.certPem), true);
  assert.equal(issued.fingerprint, cert.fingerprint256);
  assert.equal(fingerprintOf(issued.certPem), cert.fingerprint256);
  // OpenSSL agrees: the chain verifies for TLS client use and the otherName is id-on-xmppAddr.
  const dir = mkdtempSync(join(tmpdir(), 'parley-pki-'));
  try {
    writeFileSync(join(dir, 'ca.pem'), ca.certPem);
    writeFileSync(join(dir, 'c.pem'), issued.certPem);
    assert.match(execFileSync('openssl', ['verify', '-purpose', 'sslclient', '-CAfile', join(dir, 'ca.pem'), join(dir, 'c.pem')], { encoding: 'utf8' }), /OK/);
    assert.match(execFileSync('openssl', ['x509', '-noout', '-text', '-in', join(dir, 'c.pem')], { encoding: 'utf8' }), /othername:\s*(XmppAddr|1\.3\.6\.1\.5\.5\.7\.8\.5)[^\n]*alice@example\.com/i);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a certificate from another CA does not chain to ours', async () => {
  const ours = await createClientCa('example.com', { days: 365, passphrase: null });
  const theirs = await createClientCa('example.com', { days: 365, passphrase: null });
  const issued = await issueClientCert(theirs, 'alice@example.com', opts);
  assert.equal(issuedBy(new X509Certificate(issued.certPem), ours.certPem), false);
});

test('a CSR is signed for the asking JID whatever subject it names, and a forged one is refused', async () => {
  const ca = await createClientCa('example.com', { days: 365, passphrase: null });
  const dir = mkdtempSync(join(tmpdir(), 'parley-pki-'));
  try {
    execFileSync('openssl', ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(dir, 'k.pem'), '-out', join(dir, 'r.pem'), '-subj', '/CN=mallory@example.com'], { stdio: 'ignore' });
    const csr = readFileSync(join(dir, 'r.pem'), 'utf8');
    const issued = await signCsr(ca, 'bob@example.com', csr, opts);
    const cert = new X509Certificate(issued.certPem);
    assert.deepEqual(xmppAddrsOf(cert.raw), ['bob@example.com']);
    assert.match(cert.subject, /CN=bob@example.com/);
    assert.equal(issued.keyPem, null);
    // The certificate is for the requester's key.
    assert.equal(cert.checkPrivateKey((await import('node:crypto')).createPrivateKey(readFileSync(join(dir, 'k.pem')))), true);
    const b64 = csr.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
    const forged = Buffer.from(b64, 'base64');
    forged[forged.length - 5]! ^= 0xff;
    await assert.rejects(signCsr(ca, 'bob@example.com', forged.toString('base64'), opts), PkiError);
    await assert.rejects(signCsr(ca, 'bob@example.com', 'not a request', opts), PkiError);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an encrypted CA key signs only with its passphrase', async () => {
  const ca = await createClientCa('example.com', { days: 365, passphrase: 'sesame' });
  assert.match(ca.keyPem, /ENCRYPTED PRIVATE KEY/);
  await assert.rejects(issueClientCert(ca, 'a@example.com', opts), /PARLEY_CERT_CA_PASSPHRASE/);
  await assert.rejects(issueClientCert(ca, 'a@example.com', { days: 30, passphrase: 'wrong' }), /cannot be read/);
  const ok = await issueClientCert(ca, 'a@example.com', { days: 30, passphrase: 'sesame' });
  assert.equal(issuedBy(new X509Certificate(ok.certPem), ca.certPem), true);
});
