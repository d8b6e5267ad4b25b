import { XmlCore } from './core.ts';
import type { Element } from './element.ts';
import { XmlError } from './errors.ts';
import { resolveLimits, type XmlLimits } from './limits.ts';

/**
 * Parses text holding exactly one complete element (surrounding whitespace allowed), such as a
 * WebSocket frame (RFC 7395 §3.3.3) or a stanza from the bus. Throws XmlError.
 */
export function parseFragment(text: string, limits?: Partial<XmlLimits>): Element {
  const resolved = resolveLimits(limits);
  // Each UTF-16 unit is at least one UTF-8 byte, so this rejects oversized input before any work.
  if (text.length > resolved.maxStanzaBytes) throw new XmlError('policy-violation', 'stanza too large');
  let result: Element | null = null;
  let error: XmlError | null = null;
  const core = new XmlCore(true, resolved, {
    streamStart: () => {},
    element: (el) => {
      result = el;
    },
    streamEnd: () => {},
    error: (err) => {
      error = err;
    },
  });
  core.feed(text);
  core.end();
  if (error !== null) throw error;
  if (result === null) throw new XmlError('not-well-formed', 'no element');
  return result;
}
