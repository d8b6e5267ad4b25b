// The kinds of value a setting can hold, as zod schemas. Each accepts the text of an environment
// variable or YAML scalar as well as the typed value (defaults, programmatic overrides), and says in
// one phrase what it wants: that phrase is the error message and, through `kindHint`, the CLI help.
import { z } from 'zod';

/** What a kind accepts, for the help text: `port 0-65535`, `true|false`, … */
export const kindHint = z.registry<{ hint: string }>();

const got = (iss: { input?: unknown }) => `got ${JSON.stringify(iss.input)}`;
const trimmed = (v: unknown) => (typeof v === 'string' ? v.trim() : v);
const lowerCase = (v: unknown) => (typeof v === 'string' ? v.trim().toLowerCase() : v);
const emptyIsUnset = (v: unknown) => (typeof v === 'string' ? (v.trim() === '' ? null : v.trim()) : v);

export function intIn(min: number, max: number, want = `must be an integer ${min}-${max}`, hint = `integer ${min}-${max}`) {
  const error = (iss: { input?: unknown }) => `${want}, ${got(iss)}`;
  const digits = (v: unknown) => (typeof v === 'string' && /^\s*\d+\s*$/.test(v) ? Number(v) : v);
  return z.preprocess(digits, z.int({ error }).min(min, { error }).max(max, { error })).register(kindHint, { hint });
}

export const port = () => intIn(0, 65535, 'must be a port number 0-65535', 'port 0-65535');

const TRUE = ['1', 'true', 'yes', 'on'];
const FALSE = ['0', 'false', 'no', 'off'];
export const flag = () =>
  z
    .preprocess(
      (v) => {
        const s = lowerCase(v);
        return TRUE.includes(s as string) ? true : FALSE.includes(s as string) ? false : s;
      },
      z.boolean({ error: (iss) => `must be true or false, ${got(iss)}` }),
    )
    .register(kindHint, { hint: 'true|false' });

/** Free text that must not be empty (a path, an address). */
export const text = (hint = 'text') =>
  z.preprocess(trimmed, z.string({ error: (iss) => `must be text, ${got(iss)}` }).min(1, { error: 'must not be empty' })).register(kindHint, { hint });

/** Text that may be left unset (empty or absent means null). */
export const optionalText = (hint = 'text') =>
  z.preprocess(emptyIsUnset, z.string({ error: (iss) => `must be text, ${got(iss)}` }).nullable()).register(kindHint, { hint });

/** Text matching `re`; `rule` says how to fix it. */
export function matching(re: RegExp, rule: string, hint: string, opts: { lowerCase?: boolean } = {}) {
  return z.preprocess(opts.lowerCase ? lowerCase : trimmed, pattern(re, rule, true)).register(kindHint, { hint });
}

/**
 * Like `matching`, but empty or absent means unset (null). `secret`: the value may hold a password
 * (a URL with credentials), so the error does not repeat it.
 */
export function optionalMatching(re: RegExp, rule: string, hint: string, opts: { secret?: boolean } = {}) {
  return z.preprocess(emptyIsUnset, pattern(re, rule, !opts.secret).nullable()).register(kindHint, { hint });
}

const pattern = (re: RegExp, rule: string, echo: boolean) =>
  z.string({ error: (iss) => `must be text, ${got(iss)}` }).regex(re, { error: (iss) => (echo ? `${rule}, ${got(iss)}` : rule) });

export function oneOf<const T extends readonly [string, ...string[]]>(values: T) {
  const list = values.join(', ');
  return z
    .preprocess(lowerCase, z.enum(values, { error: (iss) => `must be one of ${list}; ${got(iss)}` }))
    .register(kindHint, { hint: values.join('|') });
}
