// Namespaces of the archive module's XEPs.
export const NS_MAM = 'urn:xmpp:mam:2';
export const NS_MAM_EXTENDED = 'urn:xmpp:mam:2#extended';
export const NS_SID = 'urn:xmpp:sid:0';
export const NS_RSM = 'http://jabber.org/protocol/rsm';
export const NS_DATA = 'jabber:x:data';
export const NS_RETRACT = 'urn:xmpp:message-retract:1';
export const NS_CORRECT = 'urn:xmpp:message-correct:0';
export const NS_FULLTEXT = 'urn:xmpp:fulltext:0';
/** XEP-0431 §3: the full-text search field of the MAM query form. */
export const FULLTEXT_FIELD = `{${NS_FULLTEXT}}fulltext`;
