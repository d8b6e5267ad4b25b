import { NS } from '@parley/stanza';
import type { IqExtension } from './types.ts';

/** XEP-0280 §4: a resource enables or disables message carbons for itself. */
const toggle = (name: 'enable' | 'disable'): IqExtension => ({
  scope: ['server'],
  type: 'set',
  name,
  xmlns: NS.carbons,
  features: [NS.carbons],
  handle: () => ({ result: [], ownResource: { carbons: name === 'enable' } }),
});

export const carbonsEnable = toggle('enable');
export const carbonsDisable = toggle('disable');
