/**
 * RFC 8264 §8 derived property values, computed from the runtime's Unicode data through regex
 * property escapes. The order of the checks is the algorithm of RFC 8264 §8.
 */
export type DerivedProperty =
  | 'PVALID'
  | 'ID_DIS_OR_FREE_PVAL' // RFC 8264 §8: disallowed in IdentifierClass, valid in FreeformClass
  | 'CONTEXTJ'
  | 'CONTEXTO'
  | 'DISALLOWED'
  | 'UNASSIGNED';

// RFC 8264 §9.6 Exceptions (F), inherited from RFC 5892 §2.6.
const EXCEPTIONS = new Map<number, DerivedProperty>([
  [0x00df, 'PVALID'], [0x03c2, 'PVALID'], [0x06fd, 'PVALID'], [0x06fe, 'PVALID'], [0x0f0b, 'PVALID'],
  [0x3007, 'PVALID'],
  [0x00b7, 'CONTEXTO'], [0x0375, 'CONTEXTO'], [0x05f3, 'CONTEXTO'], [0x05f4, 'CONTEXTO'], [0x30fb, 'CONTEXTO'],
  [0x0640, 'DISALLOWED'], [0x07fa, 'DISALLOWED'], [0x302e, 'DISALLOWED'], [0x302f, 'DISALLOWED'],
  [0x3031, 'DISALLOWED'], [0x3032, 'DISALLOWED'], [0x3033, 'DISALLOWED'], [0x3034, 'DISALLOWED'],
  [0x3035, 'DISALLOWED'], [0x303b, 'DISALLOWED'],
]);
for (let cp = 0x0660; cp <= 0x0669; cp++) EXCEPTIONS.set(cp, 'CONTEXTO');
for (let cp = 0x06f0; cp <= 0x06f9; cp++) EXCEPTIONS.set(cp, 'CONTEXTO');

const LETTER_DIGITS = /^[\p{Ll}\p{Lu}\p{Lo}\p{Nd}\p{Lm}\p{Mn}\p{Mc}]$/u; // §9.1 (A)
const UNASSIGNED = /^\p{Cn}$/u; // §9.8 (J), noncharacters excluded below
const NONCHARACTER = /^\p{Noncharacter_Code_Point}$/u;
const CONTROLS = /^\p{Cc}$/u; // §9.12 (L)
const IGNORABLE = /^[\p{Default_Ignorable_Code_Point}\p{Noncharacter_Code_Point}]$/u; // §9.13 (M)
const SPACES = /^\p{Zs}$/u; // §9.14 (N)
const SYMBOLS = /^[\p{Sm}\p{Sc}\p{Sk}\p{So}]$/u; // §9.15 (O)
const PUNCTUATION = /^\p{P}$/u; // §9.16 (P)
const OTHER_LETTER_DIGITS = /^[\p{Lt}\p{Nl}\p{No}\p{Me}]$/u; // §9.18 (R)

/** §9.9 (I): Hangul_Syllable_Type L, V or T; these ranges are closed by Unicode's stability policy. */
function isOldHangulJamo(cp: number): boolean {
  return (
    (cp >= 0x1100 && cp <= 0x11ff) || (cp >= 0xa960 && cp <= 0xa97c) ||
    (cp >= 0xd7b0 && cp <= 0xd7c6) || (cp >= 0xd7cb && cp <= 0xd7fb)
  );
}

const cache = new Map<number, DerivedProperty>();

export function derivedProperty(cp: number): DerivedProperty {
  if (cp >= 0x21 && cp <= 0x7e) return 'PVALID'; // ASCII7 (K); no exception touches ASCII
  const hit = cache.get(cp);
  if (hit !== undefined) return hit;
  const value = compute(cp);
  if (cache.size < 4096) cache.set(cp, value);
  return value;
}

function compute(cp: number): DerivedProperty {
  const exception = EXCEPTIONS.get(cp);
  if (exception !== undefined) return exception;
  // BackwardCompatible (G) is empty in RFC 8264.
  const ch = String.fromCodePoint(cp);
  if (UNASSIGNED.test(ch) && !NONCHARACTER.test(ch)) return 'UNASSIGNED';
  if (cp === 0x200c || cp === 0x200d) return 'CONTEXTJ'; // JoinControl (H)
  if (isOldHangulJamo(cp)) return 'DISALLOWED';
  if (IGNORABLE.test(ch)) return 'DISALLOWED';
  if (CONTROLS.test(ch)) return 'DISALLOWED';
  if (ch.normalize('NFKC') !== ch) return 'ID_DIS_OR_FREE_PVAL'; // HasCompat (Q)
  if (LETTER_DIGITS.test(ch)) return 'PVALID';
  if (OTHER_LETTER_DIGITS.test(ch)) return 'ID_DIS_OR_FREE_PVAL';
  if (SPACES.test(ch)) return 'ID_DIS_OR_FREE_PVAL';
  if (SYMBOLS.test(ch)) return 'ID_DIS_OR_FREE_PVAL';
  if (PUNCTUATION.test(ch)) return 'ID_DIS_OR_FREE_PVAL';
  return 'DISALLOWED';
}
