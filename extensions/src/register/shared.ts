// What the XEP-0077 handlers share: the module's settings and counters, and the error replies.
import type { Rule } from '@parley/ratelimit';
import { type StanzaErrorCondition, type StanzaErrorType, stanzaErrorReply } from '@parley/stanza';
import type { Element } from '@parley/xml';
import type { Counter } from 'prom-client';
import type { RegistrationOptions } from './index.ts';

/** What the registration handlers share (create.ts, account.ts). */
export interface RegistrationEnv {
  readonly options: RegistrationOptions;
  readonly outcomes: Counter<'outcome'>;
  /** XEP-0445 §3.2: tokens accepted by `<preauth/>` on a stream, until it registers or closes. */
  readonly tokens: Map<string, string>;
  readonly rule: Rule;
}

export type Refusal = { condition: StanzaErrorCondition; text: string; type?: StanzaErrorType };

export const refused = (iq: Element, r: Refusal): Element => stanzaErrorReply(iq, r.condition, { text: r.text, type: r.type, from: undefined });

/** XEP-0077 §3.1 / RFC 6120 §8.3.3.18: too many attempts from one address is resource-constraint, type wait. */
export function rateRefusal(retryAfterMs: number): Refusal {
  return { condition: 'resource-constraint', type: 'wait', text: `too many registration attempts from your address; try again in ${Math.ceil(retryAfterMs / 1000)} s` };
}
