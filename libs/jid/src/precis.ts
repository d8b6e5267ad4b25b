import { satisfiesBidiRule } from './bidi.ts';
import { contextRuleAllows } from './context-rules.ts';
import { derivedProperty } from './derived-property.ts';
import { JidError } from './errors.ts';
import { WIDTH_MAP } from './unicode-tables.ts';

const WIDTH = new Map<number, number>();
for (let i = 0; i + 1 < WIDTH_MAP.length; i += 2) WIDTH.set(WIDTH_MAP[i]!, WIDTH_MAP[i + 1]!);

const NON_ASCII_SPACE = /[\p{Zs}]/gu;
const PRINTABLE_ASCII_NO_SPACE = /^[\x21-\x7e]+$/;
const PRINTABLE_ASCII = /^[\x20-\x7e]+$/;

type StringClass = 'identifier' | 'freeform';

function codePoints(s: string): number[] {
  return Array.from(s, (c) => c.codePointAt(0)!);
}

/** RFC 8264 §4.2 IdentifierClass and §4.3 FreeformClass. */
function checkClass(s: string, cls: StringClass, what: string): void {
  const cps = codePoints(s);
  for (let i = 0; i < cps.length; i++) {
    const prop = derivedProperty(cps[i]!);
    switch (prop) {
      case 'PVALID':
        break;
      case 'ID_DIS_OR_FREE_PVAL':
        if (cls === 'identifier') throw new JidError(`${what}: disallowed code point U+${hex(cps[i]!)}`);
        break;
      case 'CONTEXTJ':
      case 'CONTEXTO':
        if (!contextRuleAllows(cps, i)) throw new JidError(`${what}: U+${hex(cps[i]!)} not allowed in this context`);
        break;
      default:
        throw new JidError(`${what}: ${prop.toLowerCase()} code point U+${hex(cps[i]!)}`);
    }
  }
}

function hex(cp: number): string {
  return cp.toString(16).toUpperCase().padStart(4, '0');
}

/** RFC 8265 §3.3.1 width mapping: fullwidth and halfwidth code points to their decomposition mappings. */
function widthMap(s: string): string {
  let out = '';
  for (const c of s) {
    const mapped = WIDTH.get(c.codePointAt(0)!);
    out += mapped === undefined ? c : String.fromCodePoint(mapped);
  }
  return out;
}

/**
 * RFC 8264 §7: the rules are not idempotent in general; reapply until the output is stable and reject
 * a string that has not settled after three extra rounds.
 */
function untilStable(s: string, apply: (x: string) => string, what: string): string {
  let current = apply(s);
  for (let round = 0; round < 3; round++) {
    const next = apply(current);
    if (next === current) return current;
    current = next;
  }
  throw new JidError(`${what}: preparation does not converge`);
}

function usernameCaseMappedOnce(s: string, what: string): string {
  // RFC 8265 §3.3.1 rules 1-5 in RFC 8264 §7 order.
  const out = widthMap(s).toLowerCase().normalize('NFC');
  if (out.length === 0) throw new JidError(`${what}: empty`);
  if (!satisfiesBidiRule(codePoints(out))) throw new JidError(`${what}: violates the Bidi Rule`);
  checkClass(out, 'identifier', what);
  return out;
}

/** RFC 8265 §3.3 UsernameCaseMapped enforcement; throws JidError. */
export function usernameCaseMapped(s: string, what = 'username'): string {
  // Printable ASCII is all PVALID and has no width, bidi or normalization concerns (RFC 8264 §9.11).
  if (PRINTABLE_ASCII_NO_SPACE.test(s)) return s.toLowerCase();
  return untilStable(s, (x) => usernameCaseMappedOnce(x, what), what);
}

function opaqueStringOnce(s: string, what: string): string {
  // RFC 8265 §4.2.1: non-ASCII spaces map to U+0020, then NFC; no width or case mapping.
  const out = s.replace(NON_ASCII_SPACE, ' ').normalize('NFC');
  if (out.length === 0) throw new JidError(`${what}: empty`);
  checkClass(out, 'freeform', what);
  return out;
}

/** RFC 8265 §4.2 OpaqueString enforcement (resourceparts, passwords); throws JidError. */
export function opaqueString(s: string, what = 'string'): string {
  if (PRINTABLE_ASCII.test(s)) return s;
  return untilStable(s, (x) => opaqueStringOnce(x, what), what);
}
