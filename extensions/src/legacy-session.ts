import type { ExtensionModule } from '@parley/ext';
import { iqResult, NS } from '@parley/stanza';
import { xml } from '@parley/xml';

/**
 * RFC 3921 §3 session establishment, kept for old clients: RFC 6121 dropped it, and
 * draft-cridland-xmpp-session-01 lets the server mark it optional and answer it as a no-op,
 * before and after binding alike. Answered at the edge: no actor has anything to do.
 */
export const legacySession: ExtensionModule = {
  name: 'legacy-session',
  specs: ['RFC 3921 §3', 'draft-cridland-xmpp-session-01'],
  edge: {
    features: [{ stage: 'after-auth', element: () => xml('session', { xmlns: NS.session }, xml('optional')) }],
    localIq: [{ type: 'set', name: 'session', xmlns: NS.session, stages: ['before-bind', 'established'], handle: (iq) => iqResult(iq) }],
  },
};
