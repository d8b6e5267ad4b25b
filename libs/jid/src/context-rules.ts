import { VIRAMA } from './unicode-tables.ts';

const VIRAMAS = new Set(VIRAMA);
const GREEK = /^\p{Script=Greek}$/u;
const HEBREW = /^\p{Script=Hebrew}$/u;
const KANA_HAN = /^[\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Han}]$/u;
// Joining_Type is not exposed to JS: letters of the cursive-joining scripts stand in for types L, D
// and R, and Mn/Me/Cf for type T (documented approximation, see README).
const JOINING = /^[\p{Lu}\p{Ll}\p{Lt}\p{Lo}]$/u;
const JOINING_SCRIPT =
  /^[\p{Script=Arabic}\p{Script=Syriac}\p{Script=Nko}\p{Script=Mongolian}\p{Script=Mandaic}\p{Script=Manichaean}\p{Script=Psalter_Pahlavi}\p{Script=Adlam}\p{Script=Hanifi_Rohingya}\p{Script=Sogdian}\p{Script=Old_Uyghur}\p{Script=Chorasmian}\p{Script=Phags_Pa}]$/u;
const TRANSPARENT = /^[\p{Mn}\p{Me}\p{Cf}]$/u;

function ch(cp: number | undefined): string {
  return cp === undefined ? '' : String.fromCodePoint(cp);
}

function isJoiningLetter(cp: number | undefined): boolean {
  const c = ch(cp);
  return c !== '' && JOINING.test(c) && JOINING_SCRIPT.test(c);
}

function joinsAcrossZwnj(cps: readonly number[], i: number): boolean {
  let before = i - 1;
  while (before >= 0 && TRANSPARENT.test(ch(cps[before]))) before--;
  let after = i + 1;
  while (after < cps.length && TRANSPARENT.test(ch(cps[after]))) after++;
  return before >= 0 && after < cps.length && isJoiningLetter(cps[before]) && isJoiningLetter(cps[after]);
}

/** RFC 5892 Appendix A contextual rules; RFC 8264 §9.6 applies them to the whole string. */
export function contextRuleAllows(cps: readonly number[], i: number): boolean {
  const cp = cps[i]!;
  const before = cps[i - 1];
  const after = cps[i + 1];
  switch (cp) {
    case 0x200c: // A.1 ZERO WIDTH NON-JOINER
      return (before !== undefined && VIRAMAS.has(before)) || joinsAcrossZwnj(cps, i);
    case 0x200d: // A.2 ZERO WIDTH JOINER
      return before !== undefined && VIRAMAS.has(before);
    case 0x00b7: // A.3 MIDDLE DOT: only in Catalan "l·l"
      return before === 0x6c && after === 0x6c;
    case 0x0375: // A.4 GREEK LOWER NUMERAL SIGN
      return GREEK.test(ch(after));
    case 0x05f3: // A.5, A.6 HEBREW GERESH / GERSHAYIM
    case 0x05f4:
      return HEBREW.test(ch(before));
    case 0x30fb: // A.7 KATAKANA MIDDLE DOT
      return cps.some((c) => KANA_HAN.test(ch(c)));
    default:
      if (cp >= 0x0660 && cp <= 0x0669) return !cps.some((c) => c >= 0x06f0 && c <= 0x06f9); // A.8
      if (cp >= 0x06f0 && cp <= 0x06f9) return !cps.some((c) => c >= 0x0660 && c <= 0x0669); // A.9
      return false;
  }
}
