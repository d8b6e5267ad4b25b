import { isIPv4, isIPv6 } from 'node:net';
import { domainToASCII, domainToUnicode } from 'node:url';
import { JidError } from './errors.ts';

const MAX_OCTETS = 1023;
const LDH_LABEL = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;
const STRICT_IPV4 = /^(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/**
 * RFC 7622 §3.2 domainpart: IP literals as they are, otherwise IDNA (UTS #46 mapping through
 * node:url, which lower-cases and applies NFC) to A-labels and back to U-labels.
 */
// A server sees few distinct domains and prepares one per address per stanza: remember the
// results (valid ones only; bounded so a flood of bogus domains cannot grow it).
const preparedDomains = new Map<string, string>();
const MAX_CACHED_DOMAINS = 1024;

export function prepareDomainpart(input: string): string {
  const cached = preparedDomains.get(input);
  if (cached !== undefined) return cached;
  const prepared = prepareDomainUncached(input);
  if (preparedDomains.size >= MAX_CACHED_DOMAINS) preparedDomains.clear();
  preparedDomains.set(input, prepared);
  return prepared;
}

function prepareDomainUncached(input: string): string {
  if (input.length === 0) throw new JidError('domainpart: empty');
  if (input.startsWith('[')) {
    // RFC 7622 §3.2: IPv6 literal in brackets (RFC 3986 IP-literal).
    const inner = input.slice(1, -1);
    if (!input.endsWith(']') || !isIPv6(inner)) throw new JidError('domainpart: invalid IPv6 literal');
    return `[${inner.toLowerCase()}]`;
  }
  if (STRICT_IPV4.test(input) && isIPv4(input)) return input;

  let ascii = domainToASCII(input);
  if (ascii === '') throw new JidError('domainpart: not a valid domain name');
  // WHATWG host parsing turns forms like "0x7f.1" into an IPv4 address; only dotted-quad is accepted.
  if (isIPv4(ascii)) throw new JidError('domainpart: invalid IPv4 address');
  // RFC 7622 §3.2: a final label separator is stripped.
  if (ascii.endsWith('.')) ascii = ascii.slice(0, -1);
  if (ascii === '') throw new JidError('domainpart: empty');
  for (const label of ascii.split('.')) {
    if (label.length === 0 || label.length > 63) throw new JidError('domainpart: bad label length');
    if (!LDH_LABEL.test(label)) throw new JidError('domainpart: label is not LDH');
    // RFC 5891 §4.2.3.1: hyphens in positions 3 and 4 are reserved for A-labels.
    if (label.slice(2, 4) === '--' && !label.startsWith('xn--')) throw new JidError('domainpart: reserved label');
  }
  if (/^\d+$/.test(ascii.slice(ascii.lastIndexOf('.') + 1))) throw new JidError('domainpart: numeric top label');
  const unicode = domainToUnicode(ascii);
  // A malformed A-label does not survive the round trip (RFC 5891 §5.4).
  if (unicode === '' || domainToASCII(unicode) !== ascii) throw new JidError('domainpart: invalid A-label');
  if (Buffer.byteLength(unicode, 'utf8') > MAX_OCTETS) throw new JidError('domainpart: longer than 1023 octets');
  return unicode;
}
