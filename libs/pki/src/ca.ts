// The server's client CA (docs/certificates.md): a self-signed ECDSA P-256 CA that issues client
// certificates naming one JID (RFC 6120 §13.7.1.4 XmppAddr, and the CN), for TLS client
// authentication (extKeyUsage clientAuth) and SASL EXTERNAL (XEP-0178 §2).
import { createPrivateKey, randomBytes, X509Certificate, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { xmppAddrExtension } from './xmpp-addr.ts';

x509.cryptoProvider.set(webcrypto as never);

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

const EC: webcrypto.EcKeyGenParams & webcrypto.EcKeyImportParams = { name: 'ECDSA', namedCurve: 'P-256' };
const SIGNING: webcrypto.EcdsaParams = { name: 'ECDSA', hash: 'SHA-256' };
const DAY = 86_400_000;

export interface CaMaterial {
  certPem: string;
  /** PKCS#8 PEM; encrypted (AES-256-CBC, PKCS#5 v2) when a passphrase was given. */
  keyPem: string;
  keyEncrypted: boolean;
}

export interface IssuedCert {
  certPem: string;
  /** Only when the server made the key (`parley cert issue`); never for a CSR. */
  keyPem: string | null;
  fingerprint: string;
  notAfter: Date;
}

export class PkiError extends Error {}

/** A new client CA for `domain`, valid `days` days. */
export async function createClientCa(domain: string, opts: { days: number; passphrase: string | null }): Promise<CaMaterial> {
  const keys = (await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify'])) as CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: [{ CN: [`Parley client CA for ${domain}`] }],
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + opts.days * DAY),
    signingAlgorithm: SIGNING,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  const plain = pem('PRIVATE KEY', await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  const keyPem = opts.passphrase
    ? String(createPrivateKey(plain).export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: opts.passphrase }))
    : plain;
  return { certPem: cert.toString('pem'), keyPem, keyEncrypted: opts.passphrase !== null };
}

/** Issues a certificate for `jid` with a new key pair (the admin hands both to the user). */
export async function issueClientCert(ca: CaMaterial, jid: string, opts: { days: number; passphrase: string | null }): Promise<IssuedCert> {
  const keys = (await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify'])) as CryptoKeyPair;
  const issued = await sign(ca, jid, keys.publicKey, opts);
  return { ...issued, keyPem: pem('PRIVATE KEY', await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)) };
}

/**
 * Issues a certificate for `jid` on the public key of a PKCS#10 request (PEM, or base64 DER). The
 * request's signature must verify (proof of possession); its subject and extensions are ignored:
 * the certificate names `jid`, the account that asked, and nothing else.
 */
export async function signCsr(ca: CaMaterial, jid: string, csr: string, opts: { days: number; passphrase: string | null }): Promise<IssuedCert> {
  let req: x509.Pkcs10CertificateRequest;
  try {
    const text = csr.trim();
    req = new x509.Pkcs10CertificateRequest(text.startsWith('-----') ? text : Buffer.from(text.replace(/\s+/g, ''), 'base64'));
  } catch {
    throw new PkiError('not a PKCS#10 certificate request');
  }
  if (!(await req.verify().catch(() => false))) throw new PkiError('the request is not signed by its own key');
  return sign(ca, jid, req.publicKey.rawData, opts);
}

async function sign(ca: CaMaterial, jid: string, publicKey: CryptoKey | ArrayBuffer, opts: { days: number; passphrase: string | null }): Promise<IssuedCert> {
  if (!Number.isInteger(opts.days) || opts.days < 1 || opts.days > 3650) throw new PkiError('days must be a whole number from 1 to 3650');
  const caCert = new x509.X509Certificate(ca.certPem);
  const notAfter = new Date(Math.min(Date.now() + opts.days * DAY, caCert.notAfter.getTime()));
  const pub = publicKey instanceof ArrayBuffer ? new x509.PublicKey(publicKey) : publicKey;
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: [{ CN: [jid] }],
    issuer: caCert.subjectName,
    notBefore: new Date(Date.now() - 60_000),
    notAfter,
    signingAlgorithm: SIGNING,
    publicKey: pub,
    signingKey: await caSigningKey(ca, opts.passphrase),
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth]),
      await x509.AuthorityKeyIdentifierExtension.create(caCert.publicKey),
      xmppAddrExtension([jid]),
    ],
  });
  const certPem = cert.toString('pem');
  return { certPem, keyPem: null, fingerprint: fingerprintOf(certPem), notAfter };
}

async function caSigningKey(ca: CaMaterial, passphrase: string | null): Promise<CryptoKey> {
  if (ca.keyEncrypted && !passphrase) throw new PkiError('the client CA key is encrypted: set PARLEY_CERT_CA_PASSPHRASE');
  let der: Buffer;
  try {
    der = createPrivateKey(ca.keyEncrypted ? { key: ca.keyPem, passphrase: passphrase ?? '' } : ca.keyPem).export({ type: 'pkcs8', format: 'der' });
  } catch {
    throw new PkiError('the client CA key cannot be read (wrong PARLEY_CERT_CA_PASSPHRASE?)');
  }
  return webcrypto.subtle.importKey('pkcs8', der, EC, false, ['sign']);
}

/** SHA-256 of the DER form, colon-separated upper-case hex: the form TLS peer certificates report. */
export function fingerprintOf(certPemOrDer: string | Buffer): string {
  return new X509Certificate(certPemOrDer).fingerprint256;
}

/**
 * Whether a presented certificate was issued by the CA (its signature verifies with the CA's key,
 * RFC 5280 §6.1, a one-level path) and both are within their validity at `now`.
 */
export function issuedBy(cert: X509Certificate, caPem: string, now = new Date()): boolean {
  const ca = new X509Certificate(caPem);
  return cert.checkIssued(ca) && cert.verify(ca.publicKey) && within(cert, now) && within(ca, now);
}

/** Between notBefore and notAfter (RFC 5280 §4.1.2.5). */
export function within(cert: X509Certificate, now = new Date()): boolean {
  return new Date(cert.validFrom) <= now && now <= new Date(cert.validTo);
}

function serial(): string {
  const b = randomBytes(16);
  b[0] = b[0]! & 0x7f; // positive (RFC 5280 §4.1.2.2)
  return b.toString('hex');
}

function pem(label: string, der: ArrayBuffer): string {
  const b64 = Buffer.from(der).toString('base64').replace(/(.{64})/g, '$1\n');
  return `-----BEGIN ${label}-----\n${b64.replace(/\n$/, '')}\n-----END ${label}-----\n`;
}
