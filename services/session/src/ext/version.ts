import { NS } from '@parley/stanza';
import { xml } from '@parley/xml';
import type { IqExtension } from './types.ts';

/** XEP-0092: software version of the server. The OS is not disclosed (XEP-0092 §6: it MAY be omitted). */
export function version(name: string, ver: string): IqExtension {
  return {
    scope: ['server'],
    type: 'get',
    name: 'query',
    xmlns: NS.version,
    features: [NS.version],
    handle: () => ({ result: [xml('query', { xmlns: NS.version }, xml('name', null, name), xml('version', null, ver))] }),
  };
}
