export { JidError } from './errors.ts';
export { Jid, jid, parseJid, prepareDomainpart, prepareLocalpart, prepareResourcepart, tryParseJid } from './jid.ts';
import { opaqueString } from './precis.ts';

/** RFC 8265 §4.2 OpaqueString (for passwords); throws JidError. */
export function prepareOpaqueString(s: string): string {
  return opaqueString(s);
}

export { type Addressee, addressOf, bareOf } from './address.ts';
