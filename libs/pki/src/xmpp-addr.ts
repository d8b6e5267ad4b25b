// RFC 6120 §13.7.1.4: a JID in a certificate is an id-on-xmppAddr otherName in the subjectAltName,
// a UTF8String (XEP-0178 §2 reads client certificates this way).
import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate, GeneralName, OtherName, SubjectAlternativeName } from '@peculiar/asn1-x509';
import { Extension } from '@peculiar/x509';

/** id-on-xmppAddr (RFC 6120 §13.7.1.4). */
export const ID_ON_XMPPADDR = '1.3.6.1.5.5.7.8.5';
const SUBJECT_ALT_NAME = '2.5.29.17';
const UTF8_STRING = 0x0c;

/** The subjectAltName extension naming `jids` as XmppAddr otherNames. */
export function xmppAddrExtension(jids: string[]): Extension {
  const names = new SubjectAlternativeName(jids.map((jid) => new GeneralName({ otherName: new OtherName({ typeId: ID_ON_XMPPADDR, value: utf8String(jid) }) })));
  return new Extension(SUBJECT_ALT_NAME, false, AsnConvert.serialize(names));
}

/** The XmppAddr JIDs of a DER certificate's subjectAltName (none when it has no such extension). */
export function xmppAddrsOf(der: Uint8Array): string[] {
  const cert = AsnConvert.parse(der, Certificate);
  const ext = cert.tbsCertificate.extensions?.find((e) => e.extnID === SUBJECT_ALT_NAME);
  if (!ext) return [];
  const names = AsnConvert.parse(ext.extnValue.buffer, SubjectAlternativeName);
  const out: string[] = [];
  for (const n of names) {
    if (n.otherName?.typeId !== ID_ON_XMPPADDR) continue;
    const jid = readUtf8String(new Uint8Array(n.otherName.value));
    if (jid !== null) out.push(jid);
  }
  return out;
}

function utf8String(text: string): ArrayBuffer {
  const body = Buffer.from(text, 'utf8');
  const len = body.length < 0x80 ? [body.length] : body.length < 0x100 ? [0x81, body.length] : [0x82, body.length >> 8, body.length & 0xff];
  return new Uint8Array([UTF8_STRING, ...len, ...body]).buffer;
}

/** A DER UTF8String, or null for anything else (another string type, a bad length). */
function readUtf8String(b: Uint8Array): string | null {
  if (b.length < 2 || b[0] !== UTF8_STRING) return null;
  let len = b[1]!;
  let at = 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n < 1 || n > 2 || b.length < 2 + n) return null;
    len = 0;
    for (let i = 0; i < n; i++) len = (len << 8) | b[2 + i]!;
    at = 2 + n;
  }
  if (at + len !== b.length) return null;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(b.subarray(at));
  } catch {
    return null;
  }
}
