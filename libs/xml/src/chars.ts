// XML 1.0 (Fifth Edition) §2.3 names and §2.2 characters.

/** ASCII classes: 1 = NameStartChar (minus ':'), 2 = NameChar only, 0 = neither. ':' is handled apart (QName). */
export const ASCII_NAME = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  if (/[A-Za-z_]/.test(ch)) ASCII_NAME[c] = 1;
  else if (/[0-9.-]/.test(ch)) ASCII_NAME[c] = 2;
}

const START =
  'A-Z_a-z\\u00C0-\\u00D6\\u00D8-\\u00F6\\u00F8-\\u02FF\\u0370-\\u037D\\u037F-\\u1FFF\\u200C-\\u200D' +
  '\\u2070-\\u218F\\u2C00-\\u2FEF\\u3001-\\uD7FF\\uF900-\\uFDCF\\uFDF0-\\uFFFD\\u{10000}-\\u{EFFFF}';
const REST = START + '\\-.0-9\\u00B7\\u0300-\\u036F\\u203F-\\u2040';

/** An NCName (XML-NAMES §3), used only for names that contain non-ASCII characters. */
export const NCNAME_RE = new RegExp(`^[${START}][${REST}]*$`, 'u');

export function isWs(c: number): boolean {
  return c === 32 || c === 10 || c === 9 || c === 13;
}

/** XML 1.0 §2.2 Char, for a code point produced by a character reference. */
export function isXmlChar(cp: number): boolean {
  return cp >= 0x20
    ? cp <= 0xd7ff || (cp >= 0xe000 && cp <= 0xfffd) || (cp >= 0x10000 && cp <= 0x10ffff)
    : cp === 9 || cp === 10 || cp === 13;
}
