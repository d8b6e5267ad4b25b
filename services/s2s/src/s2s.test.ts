// Unit tests of the federation pieces that decide: where a domain is reached, which rule applies
// to it, and whether a peer's certificate lets it speak for a domain.
import assert from 'node:assert/strict';
import test from 'node:test';
import type { PeerCertificate } from 'node:tls';
import { resolver } from './resolve.ts';
import { s2sSettings } from './settings.ts';
import { verifyPeer } from './verify.ts';

const FP = Array.from({ length: 32 }, (_, i) => (i + 16).toString(16).toUpperCase()).join(':');

test('static hosts and per-domain rules are read from their settings', () => {
  const s = s2sSettings({ s2sStaticHosts: 'a.example=10.0.0.5:5269, b.example=[::1]:15269,c.example=tls:127.0.0.1:5270', s2sDomainPolicy: `evil.example=refuse,pinned.example=pin:${FP.toLowerCase()}` });
  assert.deepEqual(s.staticHosts.get('a.example'), { host: '10.0.0.5', port: 5269, directTls: false });
  assert.deepEqual(s.staticHosts.get('b.example'), { host: '::1', port: 15269, directTls: false });
  assert.deepEqual(s.staticHosts.get('c.example'), { host: '127.0.0.1', port: 5270, directTls: true });
  assert.deepEqual(s.rules.get('evil.example'), { kind: 'refuse' });
  assert.deepEqual(s.rules.get('pinned.example'), { kind: 'pin', fingerprint: FP });
});

test('a static host is used before DNS, then SRV records by priority with direct TLS first, then the domain on 5269', async () => {
  const asked: string[] = [];
  const srv = async (name: string) => {
    asked.push(name);
    if (name === '_xmpps-server._tcp.srv.example') return [{ name: 'tls.srv.example', port: 5270, priority: 10, weight: 0 }];
    if (name === '_xmpp-server._tcp.srv.example') return [{ name: 'plain.srv.example', port: 5269, priority: 5, weight: 0 }, { name: 'backup.srv.example', port: 5269, priority: 10, weight: 0 }];
    if (name === '_xmpp-server._tcp.none.example') return [{ name: '.', port: 0, priority: 0, weight: 0 }];
    if (name === '_xmpps-server._tcp.none.example') return [{ name: '.', port: 0, priority: 0, weight: 0 }];
    throw Object.assign(new Error('no record'), { code: 'ENOTFOUND' });
  };
  const resolve = resolver(new Map([['fixed.example', { host: '127.0.0.1', port: 1234, directTls: false }]]), srv);
  assert.deepEqual(await resolve('fixed.example'), [{ host: '127.0.0.1', port: 1234, directTls: false }]);
  assert.deepEqual(asked, [], 'no DNS query for a static host');
  assert.deepEqual(await resolve('srv.example'), [
    { host: 'plain.srv.example', port: 5269, directTls: false },
    { host: 'tls.srv.example', port: 5270, directTls: true },
    { host: 'backup.srv.example', port: 5269, directTls: false },
  ]);
  // RFC 6120 §3.2.2: no SRV records at all → the domain itself on 5269.
  assert.deepEqual(await resolve('plain.example'), [{ host: 'plain.example', port: 5269, directTls: false }]);
  // RFC 2782: "." says the service is decidedly not offered.
  assert.deepEqual(await resolve('none.example'), []);
});

const cert = (names: string[], fingerprint = FP) =>
  ({ subject: { CN: names[0] }, subjectaltname: names.map((n) => `DNS:${n}`).join(', '), fingerprint256: fingerprint, raw: Buffer.alloc(0) }) as unknown as PeerCertificate;

test('a certificate from a trusted CA that names the domain is accepted; the others are refused with their reason', () => {
  assert.deepEqual(verifyPeer({ authorized: true, error: null, cert: cert(['a.example']) }, 'a.example', undefined), { ok: true, via: 'pkix' });
  assert.deepEqual(verifyPeer({ authorized: true, error: null, cert: cert(['*.srv.example']) }, 'a.srv.example', undefined), { ok: true, via: 'pkix' });
  const reason = (info: Parameters<typeof verifyPeer>[0], domain = 'a.example', rule?: Parameters<typeof verifyPeer>[2]) => {
    const v = verifyPeer(info, domain, rule);
    return v.ok ? 'ok' : v.reason;
  };
  assert.equal(reason({ authorized: true, error: null, cert: cert(['b.example']) }), 'wrong-name');
  assert.equal(reason({ authorized: false, error: 'SELF_SIGNED_CERT_IN_CHAIN', cert: cert(['a.example']) }), 'untrusted');
  assert.equal(reason({ authorized: false, error: 'CERT_HAS_EXPIRED', cert: cert(['a.example']) }), 'expired');
  assert.equal(reason({ authorized: false, error: 'NO_CERTIFICATE', cert: null }), 'no-certificate');
  assert.equal(reason(null), 'no-certificate');
  assert.equal(reason({ authorized: true, error: null, cert: cert(['a.example']) }, 'a.example', { kind: 'refuse' }), 'refused-by-policy');
});

test('a pinned fingerprint accepts exactly that certificate, even self-signed, and nothing else', () => {
  const selfSigned = { authorized: false, error: 'DEPTH_ZERO_SELF_SIGNED_CERT', cert: cert(['p.example']) };
  assert.deepEqual(verifyPeer(selfSigned, 'p.example', { kind: 'pin', fingerprint: FP }), { ok: true, via: 'pin' });
  const other = { authorized: true, error: null, cert: cert(['p.example'], FP.replace(/^10/, 'FF')) };
  const v = verifyPeer(other, 'p.example', { kind: 'pin', fingerprint: FP });
  assert.equal(v.ok ? 'ok' : v.reason, 'pin-mismatch');
});
