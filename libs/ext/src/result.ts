// Hooks return what should happen; the runtime does it (STYLE.md §5). A hook never stops a chain
// by accident: `pass` and `handled` are values, not the absence of one.
import type { StanzaErrorCondition } from '@parley/stanza';
import type { Element } from '@parley/xml';

export type Pass = { readonly kind: 'pass' };
export type Handled = { readonly kind: 'handled' };
/** Go on with this stanza instead of the original. */
export type Rewrite = { readonly kind: 'rewrite'; readonly stanza: Element };
/** Stop and answer the sender with this stanza error (RFC 6120 §8.3), with an application-specific condition if given (§8.3.2). */
export type Refuse = { readonly kind: 'error'; readonly condition: StanzaErrorCondition; readonly text?: string; readonly appCondition?: Element };

export type HookResult = Pass | Handled | Rewrite | Refuse;

export const PASS: Pass = Object.freeze({ kind: 'pass' });
export const HANDLED: Handled = Object.freeze({ kind: 'handled' });
export const rewrite = (stanza: Element): Rewrite => ({ kind: 'rewrite', stanza });
export const refuse = (condition: StanzaErrorCondition, text?: string, appCondition?: Element): Refuse => ({ kind: 'error', condition, text, appCondition });
