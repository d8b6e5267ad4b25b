export { type CaMaterial, createClientCa, fingerprintOf, type IssuedCert, issueClientCert, issuedBy, PkiError, signCsr, within } from './ca.ts';
export { ID_ON_XMPPADDR, xmppAddrExtension, xmppAddrsOf } from './xmpp-addr.ts';
