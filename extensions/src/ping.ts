import type { ExtensionModule } from '@parley/ext';
import { NS } from '@parley/stanza';

/** XEP-0199 §4.2 / §4.3: client-to-server ping is answered with an empty result. */
export const ping: ExtensionModule = {
  name: 'ping',
  specs: ['XEP-0199'],
  disco: [{ on: ['server'], features: [NS.ping] }],
  session: { iq: [{ scope: ['server'], type: 'get', name: 'ping', xmlns: NS.ping, handle: () => ({ result: [] }) }] },
};
