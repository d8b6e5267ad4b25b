// UTS #39 §4 confusable detection: two strings are confusable when their skeletons are equal.
// skeleton(X) = NFD(map each code point of NFD(X) to its prototype). The prototypes are Unicode's
// confusables.txt as Debian's ICU carries it (data/confusables.json, scripts/generate-confusables.py).
import data from '../data/confusables.json' with { type: 'json' };

const prototypes = new Map<number, string>(Object.entries(data.prototypes).map(([hex, s]) => [Number.parseInt(hex, 16), s]));

/** Where the table comes from (ICU and Unicode versions), for logs and docs. */
export const confusablesSource: string = data.source;

/** The UTS #39 §4 skeleton of `s`. */
export function skeleton(s: string): string {
  let out = '';
  for (const ch of s.normalize('NFD')) out += prototypes.get(ch.codePointAt(0) as number) ?? ch;
  return out.normalize('NFD');
}

/**
 * The skeleton for names compared without case, like XMPP localparts (RFC 8265 §3.3 maps them to lower
 * case) and domains: confusables.txt maps some characters to an upper-case prototype (`0` → `O`), which
 * a lower-case name would never equal, so the skeleton is lower-cased and taken again.
 */
export function caselessSkeleton(s: string): string {
  return skeleton(skeleton(s).toLowerCase());
}

/** UTS #39 §4: X and Y are confusable when their skeletons are equal (here without case). Equal strings are not reported. */
export function confusable(a: string, b: string): boolean {
  return a !== b && caselessSkeleton(a) === caselessSkeleton(b);
}

/** The skeleton of a bare JID: localpart and domainpart separately, so the '@' stays a separator. */
export function jidSkeleton(bareJid: string): string {
  const at = bareJid.lastIndexOf('@');
  return at < 0 ? caselessSkeleton(bareJid) : `${caselessSkeleton(bareJid.slice(0, at))}@${caselessSkeleton(bareJid.slice(at + 1))}`;
}

/**
 * Finds, among `known` bare JIDs, one that looks like `candidate` without being it (an impostor of a contact);
 * `skeletons` caches the skeletons of `known` by JID.
 */
export function lookalikeAmong(candidate: string, known: Iterable<string>): string | undefined {
  const target = jidSkeleton(candidate);
  for (const k of known) if (k !== candidate && jidSkeleton(k) === target) return k;
  return undefined;
}
