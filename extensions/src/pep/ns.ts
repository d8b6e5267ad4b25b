// Namespaces and well-known nodes of personal eventing (XEP-0163 on XEP-0060) and its users.
export const NS_PUBSUB = 'http://jabber.org/protocol/pubsub';
export const NS_PUBSUB_EVENT = 'http://jabber.org/protocol/pubsub#event';
export const NS_PUBSUB_OWNER = 'http://jabber.org/protocol/pubsub#owner';
export const NS_PUBSUB_ERRORS = 'http://jabber.org/protocol/pubsub#errors';
export const NS_PUBLISH_OPTIONS = 'http://jabber.org/protocol/pubsub#publish-options';
export const NS_NODE_CONFIG = 'http://jabber.org/protocol/pubsub#node_config';
export const NS_CAPS = 'http://jabber.org/protocol/caps';
export const NS_DATA = 'jabber:x:data';

/** XEP-0402 PEP native bookmarks, and the XEP-0048 node that XEP-0411 keeps in step with it. */
export const NODE_BOOKMARKS = 'urn:xmpp:bookmarks:1';
export const NODE_LEGACY_BOOKMARKS = 'storage:bookmarks';
/** XEP-0084 user avatar. */
export const NODE_AVATAR_DATA = 'urn:xmpp:avatar:data';
export const NODE_AVATAR_METADATA = 'urn:xmpp:avatar:metadata';
/** XEP-0172 user nickname. */
export const NODE_NICK = 'http://jabber.org/protocol/nick';
/** XEP-0292 §3: vCard4 over PEP is the node urn:xmpp:vcard4 holding a vcard-4.0 element. */
export const NODE_VCARD4 = 'urn:xmpp:vcard4';
export const NS_VCARD4 = 'urn:ietf:params:xml:ns:vcard-4.0';
/** XEP-0384 OMEMO (urn:xmpp:omemo:2) device list and bundles. */
export const NODE_OMEMO_DEVICES = 'urn:xmpp:omemo:2:devices';
export const NODE_OMEMO_BUNDLES = 'urn:xmpp:omemo:2:bundles';
