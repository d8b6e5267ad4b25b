export { Element, xml } from './element.ts';
export { escapeAttr, escapeText } from './escape.ts';
export { XmlError, type XmlErrorCondition } from './errors.ts';
export { parseFragment } from './fragment.ts';
export { defaultLimits, type XmlLimits } from './limits.ts';
export { type StreamHandlers, StreamParser } from './stream-parser.ts';
