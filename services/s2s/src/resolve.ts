// Where a remote domain's server listens: a static override first (tests and operators without
// DNS), then DNS SRV (RFC 6120 §3.2.1: _xmpp-server._tcp; XEP-0368: _xmpps-server._tcp for direct
// TLS, tried first at equal priority), then the domain itself on 5269 (§3.2.2 fallback).
import { promises as dns, type SrvRecord } from 'node:dns';
import type { HostPort } from './settings.ts';

export type Resolver = (domain: string) => Promise<HostPort[]>;

export function resolver(staticHosts: Map<string, HostPort>, lookupSrv: (name: string) => Promise<SrvRecord[]> = (n) => dns.resolveSrv(n)): Resolver {
  return async (domain) => {
    const fixed = staticHosts.get(domain);
    if (fixed) return [fixed];
    const srv = async (service: string, directTls: boolean) => {
      try {
        const records = await lookupSrv(`_${service}._tcp.${domain}`);
        // RFC 2782: a single record with target "." means the service is decidedly not available.
        if (records.length === 1 && records[0]!.name === '.') return null;
        return records.map((r) => ({ r, directTls }));
      } catch {
        return [];
      }
    };
    const [tls, plain] = await Promise.all([srv('xmpps-server', true), srv('xmpp-server', false)]);
    if (tls === null && plain === null) return [];
    const all = [...(tls ?? []), ...(plain ?? [])].sort((a, b) => a.r.priority - b.r.priority || b.r.weight - a.r.weight);
    if (all.length === 0) return [{ host: domain, port: 5269, directTls: false }];
    return all.map(({ r, directTls }) => ({ host: r.name, port: r.port, directTls }));
  };
}
