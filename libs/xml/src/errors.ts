/**
 * Stream error conditions the parser can raise; each maps 1:1 to an RFC 6120 §4.9.3 stream error.
 * 'invalid-xml' and 'bad-format' are never raised by this parser (it does not validate) but are kept so
 * callers can use one type for all XML-level conditions.
 */
export type XmlErrorCondition =
  | 'restricted-xml'
  | 'not-well-formed'
  | 'policy-violation'
  | 'invalid-namespace'
  | 'bad-format'
  | 'invalid-xml'
  | 'unsupported-encoding';

/** A rejected input. `message` is a short human reason, safe to put in a stream error's `<text/>`. */
export class XmlError extends Error {
  readonly condition: XmlErrorCondition;

  constructor(condition: XmlErrorCondition, message: string) {
    super(message);
    this.name = 'XmlError';
    this.condition = condition;
  }
}
