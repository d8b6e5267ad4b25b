// Namespaces and status codes of multi-user chat (XEP-0045 §19.1, §15.7) and its companions.
export const MUC = {
  base: 'http://jabber.org/protocol/muc',
  user: 'http://jabber.org/protocol/muc#user',
  admin: 'http://jabber.org/protocol/muc#admin',
  owner: 'http://jabber.org/protocol/muc#owner',
  roomconfig: 'http://jabber.org/protocol/muc#roomconfig',
  roominfo: 'http://jabber.org/protocol/muc#roominfo',
  request: 'http://jabber.org/protocol/muc#request',
  register: 'jabber:iq:register',
  data: 'jabber:x:data',
  /** XEP-0421 anonymous unique occupant identifiers. */
  occupantId: 'urn:xmpp:occupant-id:0',
  /** XEP-0249 direct invitations. */
  conference: 'jabber:x:conference',
  /** XEP-0410 §3.2: the room answers self-pings itself. */
  selfPing: 'http://jabber.org/protocol/muc#self-ping-optimization',
  stableId: 'http://jabber.org/protocol/muc#stable_id',
} as const;

/** XEP-0045 §15.7 status codes used here. */
export const STATUS = {
  nonAnonymous: '100',
  configChanged: '104',
  self: '110',
  showsUnavailable: '102',
  nowNonAnonymous: '172',
  nowSemiAnonymous: '173',
  created: '201',
  nickModified: '210',
  banned: '301',
  nickChanged: '303',
  kicked: '307',
  affiliationChanged: '321',
  membersOnly: '322',
  shutdown: '332',
} as const;
