import { BIDI_RUNS } from './unicode-tables.ts';

export type BidiClass =
  | 'L' | 'R' | 'AL' | 'EN' | 'ES' | 'ET' | 'AN' | 'CS' | 'NSM' | 'BN' | 'B' | 'S' | 'WS' | 'ON'
  | 'LRE' | 'LRO' | 'RLE' | 'RLO' | 'PDF' | 'LRI' | 'RLI' | 'FSI' | 'PDI';

const runStarts: number[] = [];
const runClasses: string[] = [];
for (const run of BIDI_RUNS.split(';')) {
  if (run === '') continue;
  const [start, cls] = run.split(':') as [string, string];
  runStarts.push(Number.parseInt(start, 16));
  runClasses.push(cls);
}

// Code points unassigned in the generated table's UCD but possibly assigned in the runtime's newer
// Unicode take the block defaults listed in the header of DerivedBidiClass.txt.
const DEFAULT_RANGES: ReadonlyArray<readonly [number, number, BidiClass]> = [
  [0x0590, 0x05ff, 'R'], [0x0600, 0x07bf, 'AL'], [0x07c0, 0x085f, 'R'], [0x0860, 0x08ff, 'AL'],
  [0x20a0, 0x20cf, 'ET'], [0xfb1d, 0xfb4f, 'R'], [0xfb50, 0xfdcf, 'AL'], [0xfdf0, 0xfdff, 'AL'],
  [0xfe70, 0xfeff, 'AL'], [0x10800, 0x10cff, 'R'], [0x10d00, 0x10d3f, 'AL'], [0x10d40, 0x10ebf, 'R'],
  [0x10ec0, 0x10eff, 'AL'], [0x10f00, 0x10f2f, 'R'], [0x10f30, 0x10f6f, 'AL'], [0x10f70, 0x10fff, 'R'],
  [0x1e800, 0x1ec6f, 'R'], [0x1ec70, 0x1ecbf, 'AL'], [0x1ecc0, 0x1ecff, 'R'], [0x1ed00, 0x1ed4f, 'AL'],
  [0x1ed50, 0x1edff, 'R'], [0x1ee00, 0x1eeff, 'AL'], [0x1ef00, 0x1efff, 'R'],
];

function bidiClass(cp: number): BidiClass {
  let lo = 0;
  let hi = runStarts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (runStarts[mid]! <= cp) lo = mid;
    else hi = mid - 1;
  }
  const cls = runClasses[lo]!;
  if (cls !== '?') return cls as BidiClass;
  for (const [from, to, def] of DEFAULT_RANGES) if (cp >= from && cp <= to) return def;
  return 'L';
}

/** RFC 5893 §2 Bidi Rule, applied only to strings holding right-to-left code points (RFC 8265 §3.3.1). */
export function satisfiesBidiRule(cps: readonly number[]): boolean {
  if (!cps.some((cp) => cp >= 0x0590)) return true; // no R, AL or AN code point lies below U+0590
  const classes = cps.map(bidiClass);
  if (!classes.some((c) => c === 'R' || c === 'AL' || c === 'AN')) return true;
  const first = classes[0];
  let end = classes.length - 1;
  while (end >= 0 && classes[end] === 'NSM') end--;
  const last = classes[end];
  if (first === 'R' || first === 'AL') {
    const allowed = new Set(['R', 'AL', 'AN', 'EN', 'ES', 'CS', 'ET', 'ON', 'BN', 'NSM']);
    if (!classes.every((c) => allowed.has(c))) return false; // condition 2
    if (last !== 'R' && last !== 'AL' && last !== 'EN' && last !== 'AN') return false; // condition 3
    return !(classes.includes('EN') && classes.includes('AN')); // condition 4
  }
  if (first === 'L') {
    const allowed = new Set(['L', 'EN', 'ES', 'CS', 'ET', 'ON', 'BN', 'NSM']);
    if (!classes.every((c) => allowed.has(c))) return false; // condition 5
    return last === 'L' || last === 'EN'; // condition 6
  }
  return false; // condition 1
}
