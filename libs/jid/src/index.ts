export { JidError } from './errors.ts';
export { Jid, jid, parseJid, prepareDomainpart, prepareLocalpart, prepareResourcepart, tryParseJid } from './jid.ts';
import { opaqueString, usernameCaseMapped } from './precis.ts';

/** RFC 8265 §4.2 OpaqueString (for passwords); throws JidError. */
export function prepareOpaqueString(s: string): string {
  return opaqueString(s);
}

/** RFC 8265 §3.3 UsernameCaseMapped without the extra JID localpart restrictions; throws JidError. */
export function prepareUsername(s: string): string {
  return usernameCaseMapped(s);
}
export { type Addressee, addressOf, bareOf, toServerOrSelf } from './address.ts';
