import { NS } from '@parley/stanza';
import type { IqExtension } from './types.ts';

/** XEP-0199 §4.2 / §4.3: client-to-server ping is answered with an empty result. */
export const ping: IqExtension = {
  scope: ['server'],
  type: 'get',
  name: 'ping',
  xmlns: NS.ping,
  features: [NS.ping],
  handle: () => ({ result: [] }),
};
