import type { ExtensionModule } from '@parley/ext';
import { NS } from '@parley/stanza';
import { xml } from '@parley/xml';

/** XEP-0092: software version of the server. The OS is not disclosed (§6: it MAY be omitted). */
export function version(opts: { name: string; version: string }): ExtensionModule {
  return {
    name: 'version',
    specs: ['XEP-0092'],
    disco: [{ on: ['server'], features: [NS.version] }],
    session: {
      iq: [
        {
          scope: ['server'],
          type: 'get',
          name: 'query',
          xmlns: NS.version,
          handle: () => ({ result: [xml('query', { xmlns: NS.version }, xml('name', null, opts.name), xml('version', null, opts.version))] }),
        },
      ],
    },
  };
}
