// XEP-0060 errors: a stanza error condition with the pubsub#errors condition that says why (§7-§8).
import type { IqOutcome } from '@parley/ext';
import type { StanzaErrorCondition } from '@parley/stanza';
import { xml } from '@parley/xml';
import { NS_PUBSUB_ERRORS } from './ns.ts';

export function pubsubError(condition: StanzaErrorCondition, app?: string, text?: string, attrs?: Record<string, string>): IqOutcome {
  return { error: condition, text, appCondition: app ? xml(app, { xmlns: NS_PUBSUB_ERRORS, ...attrs }) : undefined };
}

/** §4.6: a feature this service does not implement. */
export const unsupported = (feature: string): IqOutcome => pubsubError('feature-not-implemented', 'unsupported', undefined, { feature });
