// The error catalogue (STYLE.md §7): every failure has a stable condition from RFC 6120; the
// cause goes to logs, only the condition and a short text cross the wire.
import { Element, xml } from '@parley/xml';
import { NS } from './ns.ts';

/** RFC 6120 §4.9.3 stream error conditions. */
export type StreamErrorCondition =
  | 'bad-format'
  | 'bad-namespace-prefix'
  | 'conflict'
  | 'connection-timeout'
  | 'host-gone'
  | 'host-unknown'
  | 'improper-addressing'
  | 'internal-server-error'
  | 'invalid-from'
  | 'invalid-namespace'
  | 'invalid-xml'
  | 'not-authorized'
  | 'not-well-formed'
  | 'policy-violation'
  | 'remote-connection-failed'
  | 'reset'
  | 'resource-constraint'
  | 'restricted-xml'
  | 'see-other-host'
  | 'system-shutdown'
  | 'undefined-condition'
  | 'unsupported-encoding'
  | 'unsupported-feature'
  | 'unsupported-stanza-type'
  | 'unsupported-version';

/** RFC 6120 §8.3.3 stanza error conditions with their usual error types (§8.3.2). */
const STANZA_ERRORS = {
  'bad-request': 'modify',
  conflict: 'cancel',
  'feature-not-implemented': 'cancel',
  forbidden: 'auth',
  gone: 'cancel',
  'internal-server-error': 'cancel',
  'item-not-found': 'cancel',
  'jid-malformed': 'modify',
  'not-acceptable': 'modify',
  'not-allowed': 'cancel',
  'not-authorized': 'auth',
  'policy-violation': 'modify',
  'recipient-unavailable': 'wait',
  redirect: 'modify',
  'registration-required': 'auth',
  'remote-server-not-found': 'cancel',
  'remote-server-timeout': 'wait',
  'resource-constraint': 'wait',
  'service-unavailable': 'cancel',
  'subscription-required': 'auth',
  'undefined-condition': 'cancel',
  'unexpected-request': 'wait',
} as const;

export type StanzaErrorCondition = keyof typeof STANZA_ERRORS;
export type StanzaErrorType = 'auth' | 'cancel' | 'continue' | 'modify' | 'wait';


/** `detail` is the condition's content, e.g. the host:port of see-other-host (RFC 6120 §4.9.3.19). */
export function streamErrorElement(condition: StreamErrorCondition, text?: string, detail?: string): Element {
  return xml(
    'stream:error',
    null,
    xml(condition, { xmlns: NS.streams }, detail ?? null),
    text ? xml('text', { xmlns: NS.streams, 'xml:lang': 'en' }, text) : null,
  );
}

/**
 * RFC 6120 §8.3.1: the error reply swaps from/to, keeps id and type-specific payload out
 * (we do not echo the original payload, so nothing the sender injected is reflected back).
 * `from` defaults to the original `to` (the entity that could not handle it).
 */
export function stanzaErrorReply(
  original: Element,
  condition: StanzaErrorCondition,
  opts: { text?: string; type?: StanzaErrorType; from?: string; appCondition?: Element } = {},
): Element {
  const from = opts.from ?? original.attr('to');
  const reply = new Element(original.name, {
    xmlns: NS.client,
    type: 'error',
    id: original.attr('id'),
    from,
    to: original.attr('from'),
  });
  reply.append(
    xml(
      'error',
      { type: opts.type ?? STANZA_ERRORS[condition] },
      xml(condition, { xmlns: NS.stanzas }),
      opts.text ? xml('text', { xmlns: NS.stanzas, 'xml:lang': 'en' }, opts.text) : null,
      // §8.3.2: an application-specific condition comes after the defined condition and the text.
      opts.appCondition ?? null,
    ),
  );
  return reply;
}

/**
 * RFC 6120 §8.3.1: never answer an error with an error (avoids loops), nor an IQ result (§8.2.3).
 * Everything else may be answered, including an IQ whose type is missing or unknown: that one is
 * owed a bad-request (§8.2.3, §8.3.3.1), not silence.
 */
export function mayReplyWithError(stanza: Element): boolean {
  const type = stanza.attr('type');
  return type !== 'error' && !(stanza.name === 'iq' && type === 'result');
}

export function iqResult(request: Element, ...payload: Element[]): Element {
  return xml(
    'iq',
    { xmlns: NS.client, type: 'result', id: request.attr('id'), from: request.attr('to'), to: request.attr('from') },
    ...payload,
  );
}
