// Unicode tricks in message text (REQUIREMENTS.md "boot codes"): bidirectional overrides that
// spoof what a line says, control characters, and long runs of combining marks (Zalgo) that
// overflow or hang renderers. Ordinary text in any script passes unchanged.

export interface TextFindings {
  bidi: number;
  control: number;
  combining: number;
  words: number;
}

/** Unicode TR9 explicit embeddings/overrides (U+202A–202E) and isolates (U+2066–2069). */
const BIDI = /[\u202A-\u202E\u2066-\u2069]/g;
/** C0 controls except tab, LF, CR; DEL; C1 controls; interlinear annotation marks (U+FFF9–FFFB). */
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\uFFF9-\uFFFB]/g;
/** Combining marks beyond the first few on one base: real scripts stack 2–4 (Vietnamese, Indic, Thai). */
export const MAX_COMBINING = 6;
const COMBINING_RUN = /\p{M}{7,}/gu;

export function cleanText(text: string, words: RegExp | null, found: TextFindings): string {
  let out = text.replace(BIDI, () => {
    found.bidi++;
    return '';
  });
  out = out.replace(CONTROL, () => {
    found.control++;
    return '';
  });
  out = out.replace(COMBINING_RUN, (run) => {
    found.combining++;
    return [...run].slice(0, MAX_COMBINING).join('');
  });
  if (words) {
    out = out.replace(words, (w) => {
      found.words++;
      return '*'.repeat([...w].length);
    });
  }
  return out;
}

/** The configured words as one case-insensitive whole-word pattern, or null. */
export function wordPattern(list: string[]): RegExp | null {
  const words = list.map((w) => w.trim()).filter(Boolean);
  if (words.length === 0) return null;
  const escaped = words.map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`(?<![\\p{L}\\p{N}])(?:${escaped.join('|')})(?![\\p{L}\\p{N}])`, 'giu');
}
