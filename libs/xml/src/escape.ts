const TEXT_SPECIAL = /[&<>\r]/;
const TEXT_SPECIAL_G = /[&<>\r]/g;
const ATTR_SPECIAL = /[&<>"'\t\n\r]/;
const ATTR_SPECIAL_G = /[&<>"'\t\n\r]/g;

const REPLACEMENTS: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
  // XML 1.0 §2.11 and §3.3.3: a parser turns literal CR into LF, and TAB/LF/CR in attribute values into
  // spaces, so these must travel as character references to survive a round trip.
  '\t': '&#9;',
  '\n': '&#10;',
  '\r': '&#13;',
};

function replace(ch: string): string {
  return REPLACEMENTS[ch]!;
}

/** Escapes character data: `& < >`, and CR (which XML line-end handling would otherwise turn into LF). */
export function escapeText(s: string): string {
  return TEXT_SPECIAL.test(s) ? s.replace(TEXT_SPECIAL_G, replace) : s;
}

/** Escapes an attribute value for either quote style; TAB, LF and CR become character references. */
export function escapeAttr(s: string): string {
  return ATTR_SPECIAL.test(s) ? s.replace(ATTR_SPECIAL_G, replace) : s;
}
