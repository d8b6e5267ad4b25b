// The federation settings in the shape the service uses: static hosts and per-domain rules parsed once.
import type { ParleyConfig } from '@parley/config';

export interface HostPort {
  host: string;
  port: number;
  /** XEP-0368: TLS from the first byte rather than STARTTLS. */
  directTls: boolean;
}

export type DomainRule = { kind: 'refuse' } | { kind: 'pin'; fingerprint: string };

export interface S2SSettings {
  staticHosts: Map<string, HostPort>;
  rules: Map<string, DomainRule>;
}

export function s2sSettings(config: Pick<ParleyConfig, 's2sStaticHosts' | 's2sDomainPolicy'>): S2SSettings {
  const staticHosts = new Map<string, HostPort>();
  for (const entry of splitList(config.s2sStaticHosts)) {
    const eq = entry.indexOf('=');
    // `tls:` before the address: TLS from the first byte (XEP-0368), as an _xmpps-server record would say.
    const directTls = entry.startsWith('tls:', eq + 1);
    const target = entry.slice(eq + 1 + (directTls ? 4 : 0));
    const colon = target.lastIndexOf(':');
    const host = target.slice(0, colon).replace(/^\[(.*)\]$/, '$1');
    staticHosts.set(entry.slice(0, eq), { host, port: Number(target.slice(colon + 1)), directTls });
  }
  const rules = new Map<string, DomainRule>();
  for (const entry of splitList(config.s2sDomainPolicy)) {
    const eq = entry.indexOf('=');
    const rule = entry.slice(eq + 1);
    rules.set(entry.slice(0, eq), rule === 'refuse' ? { kind: 'refuse' } : { kind: 'pin', fingerprint: rule.slice(4).toUpperCase() });
  }
  return { staticHosts, rules };
}

function splitList(v: string | null): string[] {
  return (v ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}
