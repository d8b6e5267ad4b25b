import { createHash } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import type { ChannelBindingType } from './types.ts';

/**
 * Channel-binding data of the server side of a TLS socket, shaped for SaslContext.channelBinding.
 * tls-exporter (RFC 9266) only on TLS 1.3, where exporters are unique per connection;
 * tls-server-end-point (RFC 5929 §4) from the certificate this server presented.
 */
export function tlsChannelBinding(socket: TLSSocket): (type: ChannelBindingType) => Buffer | undefined {
  return (type) => {
    if (type === 'tls-exporter') {
      if (socket.getProtocol() !== 'TLSv1.3') return undefined;
      return socket.exportKeyingMaterial(32, 'EXPORTER-Channel-Binding', Buffer.alloc(0));
    }
    const cert = socket.getCertificate();
    const raw = cert && 'raw' in cert ? (cert.raw as Buffer | undefined) : undefined;
    return raw ? serverEndPoint(raw) : undefined;
  };
}

/** RFC 5929 §4.1: hash the DER certificate with its signature hash, MD5 and SHA-1 upgraded to SHA-256. */
export function serverEndPoint(der: Buffer): Buffer | undefined {
  const hash = certificateSignatureHash(der);
  return hash === undefined ? undefined : createHash(hash).update(der).digest();
}

const SIGNATURE_HASH: Record<string, string> = {
  '2a864886f70d010104': 'sha256', // md5WithRSAEncryption
  '2a864886f70d010105': 'sha256', // sha1WithRSAEncryption
  '2a864886f70d01010b': 'sha256',
  '2a864886f70d01010c': 'sha384',
  '2a864886f70d01010d': 'sha512',
  '2a864886f70d01010e': 'sha224',
  '2a8648ce3d0401': 'sha256', // ecdsa-with-SHA1
  '2a8648ce3d040301': 'sha224',
  '2a8648ce3d040302': 'sha256',
  '2a8648ce3d040303': 'sha384',
  '2a8648ce3d040304': 'sha512',
};
const DIGEST_OID: Record<string, string> = {
  '2b0e03021a': 'sha256', // sha1
  '608648016503040201': 'sha256',
  '608648016503040202': 'sha384',
  '608648016503040203': 'sha512',
  '608648016503040204': 'sha224',
};
const RSASSA_PSS = '2a864886f70d01010a';

interface Tlv {
  tag: number;
  start: number;
  end: number;
}

function readTlv(buf: Buffer, offset: number): Tlv | undefined {
  const tag = buf[offset];
  let len = buf[offset + 1];
  if (tag === undefined || len === undefined) return undefined;
  let start = offset + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4) return undefined;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + (buf[start + i] ?? 0);
    start += n;
  }
  const end = start + len;
  return end > buf.length ? undefined : { tag, start, end };
}

/** Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm AlgorithmIdentifier, signature } */
function certificateSignatureHash(der: Buffer): string | undefined {
  const cert = readTlv(der, 0);
  if (cert?.tag !== 0x30) return undefined;
  const tbs = readTlv(der, cert.start);
  if (tbs?.tag !== 0x30) return undefined;
  const alg = readTlv(der, tbs.end);
  if (alg?.tag !== 0x30) return undefined;
  const oid = readTlv(der, alg.start);
  if (oid?.tag !== 0x06) return undefined;
  const oidHex = der.subarray(oid.start, oid.end).toString('hex');
  if (oidHex !== RSASSA_PSS) return SIGNATURE_HASH[oidHex];
  // RFC 4055 §3.1: RSASSA-PSS-params, hashAlgorithm [0] defaults to SHA-1.
  const params = readTlv(der, oid.end);
  if (params?.tag !== 0x30) return 'sha256';
  const first = params.start < params.end ? readTlv(der, params.start) : undefined;
  if (first?.tag !== 0xa0) return 'sha256';
  const hashAlg = readTlv(der, first.start);
  const hashOid = hashAlg?.tag === 0x30 ? readTlv(der, hashAlg.start) : undefined;
  if (hashOid?.tag !== 0x06) return undefined;
  return DIGEST_OID[der.subarray(hashOid.start, hashOid.end).toString('hex')];
}
