// The password policy of in-band registration and password changes (XEP-0077 §3.1, §3.3): a
// minimum length, a maximum (the SCRAM derivation's input stays bounded), and no password from a
// maintained list of the most common ones: @zxcvbn-ts/language-common's `passwords-common`
// (≈49,000 passwords ranked by frequency in leaked sets; npm, MIT). NIST SP 800-63B §5.1.1.2 asks
// for exactly this: length, and a check against "passwords obtained from previous breach corpuses".
import { createRequire } from 'node:module';
import type { dictionary as Dictionary } from '@zxcvbn-ts/language-common';

export const MAX_PASSWORD_CHARS = 1024;

let common: Set<string> | null = null;
/**
 * Built on first use (the list is ≈400 kB), lower-cased: "Password1" is as common as "password1".
 * The package (all of zxcvbn's dictionaries, ≈2.5 MB of heap) is loaded then too, not when the
 * server starts: most servers never register an account or change a password between restarts
 * (docs/decisions/0035-embedded-server-memory.md).
 */
function commonPasswords(): Set<string> {
  if (common) return common;
  const { dictionary } = createRequire(import.meta.url)('@zxcvbn-ts/language-common') as { dictionary: typeof Dictionary };
  common = new Set(dictionary['passwords-common'].map((p) => p.toLowerCase()));
  return common;
}

/** Why a password is refused, as text for the client, or null when it is acceptable. */
export function passwordProblem(password: string, opts: { minLength: number; username?: string }): string | null {
  // Length in code points, as a person counts characters.
  const length = [...password].length;
  if (length < opts.minLength) return `the password is too short: use at least ${opts.minLength} characters`;
  if (length > MAX_PASSWORD_CHARS) return `the password is too long: ${MAX_PASSWORD_CHARS} characters at most`;
  const folded = password.toLowerCase();
  if (commonPasswords().has(folded)) return 'the password is one of the most common passwords: choose another';
  if (opts.username && opts.username.length >= 4 && folded.includes(opts.username.toLowerCase())) return 'the password must not contain the username';
  return null;
}
