// One protocol extension, one file (STYLE.md §1): each IQ handler declares the request it
// answers and its disco features; the registry builds the lookup key, nobody edits a switch.
import type { Jid } from '@parley/jid';
import type { ResourcePatch } from '@parley/location';
import type { StanzaErrorCondition } from '@parley/stanza';
import type { Element } from '@parley/xml';

export interface IqContext {
  /** The server's domain. */
  domain: string;
  /** The stamped sender. */
  from: Jid;
  /** The addressee (the server domain, or an account's bare JID). */
  to: Jid;
  /** The single payload child of the IQ. */
  payload: Element;
  iq: Element;
  /** All features advertised by registered extensions (for disco#info). */
  features(scope: IqScope): string[];
}

/** 'server': IQs to the domain or to the sender's own bare JID; 'account': to another account's bare JID. */
export type IqScope = 'server' | 'account';

/**
 * Handlers return what should happen; the runtime does it (STYLE.md §5): send the result, and
 * apply `ownResource` to the sending resource's location entry first.
 */
export type IqOutcome = { result: Element[]; ownResource?: ResourcePatch } | { error: StanzaErrorCondition; text?: string };

export interface IqExtension {
  scope: IqScope[];
  type: 'get' | 'set';
  /** Payload element name and namespace. */
  name: string;
  xmlns: string;
  /** Features this extension contributes to disco#info (XEP-0030). */
  features: string[];
  handle(ctx: IqContext): IqOutcome | Promise<IqOutcome>;
}

export function iqKey(scope: IqScope, type: string, xmlns: string, name: string): string {
  return `${scope} ${type} {${xmlns}}${name}`;
}
