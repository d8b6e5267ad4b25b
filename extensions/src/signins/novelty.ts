// What makes a sign-in "new" for an account (REQUIREMENTS.md, Account takeover): an address
// outside every network it signed in from before — a /24 for IPv4, a /48 for IPv6, the usual
// assignment to one site — or a client it never used. The first sign-in of an account is not new.
import { isIPv4, isIPv6 } from 'node:net';

/** The network an address belongs to for alerts: a.b.c.0/24, or the first three IPv6 groups /48. */
export function addressPrefix(ip: string): string {
  // An IPv4-mapped IPv6 address (::ffff:a.b.c.d, a dual-stack socket) is the IPv4 address.
  const v4 = ip.startsWith('::ffff:') && isIPv4(ip.slice(7)) ? ip.slice(7) : ip;
  if (isIPv4(v4)) return `${v4.split('.').slice(0, 3).join('.')}.0/24`;
  if (isIPv6(ip)) return `${expandIPv6(ip).slice(0, 3).join(':')}::/48`;
  return ip; // not an address (a test transport): compared whole
}

/** The eight groups of an IPv6 address, each without leading zeros. */
function expandIPv6(ip: string): string[] {
  const [head = '', tail] = ip.split('::');
  const part = (s: string) => (s === '' ? [] : s.split(':'));
  const h = part(head);
  const t = tail === undefined ? [] : part(tail);
  // A trailing dotted quad (::ffff:1.2.3.4 or 64:ff9b::1.2.3.4) is two groups.
  const last = t.length ? t : h;
  const quad = last.at(-1);
  if (quad && isIPv4(quad)) {
    const [a = 0, b = 0, c = 0, d = 0] = quad.split('.').map(Number);
    last.splice(-1, 1, ((a << 8) | b).toString(16), ((c << 8) | d).toString(16));
  }
  const zeros = Array(Math.max(0, 8 - h.length - t.length)).fill('0');
  return [...h, ...zeros, ...t].map((g) => Number.parseInt(g, 16).toString(16));
}

/** XEP-0388 §2.3: the user-agent id names one installation; without it the software name. */
export function clientKey(userAgent: { id: string | null; software: string | null } | null): string | null {
  return userAgent?.id ?? userAgent?.software ?? null;
}

export interface Novelty {
  address: boolean;
  client: boolean;
}

/** Compare a sign-in with the account's earlier successful ones (read before recording it). */
export function novelty(known: { ips: string[]; clientKeys: string[] }, ip: string, key: string | null): Novelty {
  if (known.ips.length === 0) return { address: false, client: false }; // the very first sign-in
  const prefix = addressPrefix(ip);
  return {
    address: !known.ips.some((k) => addressPrefix(k) === prefix),
    client: key !== null && !known.clientKeys.includes(key),
  };
}
