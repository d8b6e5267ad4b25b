// Is the peer's certificate good enough to let it speak for `domain`? RFC 6120 §13.7.2 (PKIX path
// validation against the trust anchors: the system store plus PARLEY_S2S_CA_FILE) and RFC 6125 §6
// (the certificate must name the domain: a DNS-ID, or the CN only when there is no subjectAltName),
// or, for a domain with a pinned fingerprint, exactly that certificate.
import { checkServerIdentity } from 'node:tls';
import type { PeerCertificateInfo } from '@parley/edge';
import type { DomainRule } from './settings.ts';

/** Why a peer was refused; these are the `reason` label of parley_s2s_auth_failures_total. */
export type AuthFailure = 'no-certificate' | 'untrusted' | 'expired' | 'wrong-name' | 'pin-mismatch' | 'refused-by-policy';

export type Verdict = { ok: true; via: 'pkix' | 'pin' } | { ok: false; reason: AuthFailure; detail: string };

export function verifyPeer(info: PeerCertificateInfo | null, domain: string, rule: DomainRule | undefined): Verdict {
  if (rule?.kind === 'refuse') return { ok: false, reason: 'refused-by-policy', detail: `federation with ${domain} is refused by policy` };
  if (!info?.cert) return { ok: false, reason: 'no-certificate', detail: 'the peer presented no certificate' };
  if (rule?.kind === 'pin') {
    const got = info.cert.fingerprint256.toUpperCase();
    return got === rule.fingerprint ? { ok: true, via: 'pin' } : { ok: false, reason: 'pin-mismatch', detail: `certificate ${got} is not the one pinned for ${domain}` };
  }
  if (!info.authorized) {
    const expired = info.error === 'CERT_HAS_EXPIRED';
    return { ok: false, reason: expired ? 'expired' : 'untrusted', detail: `certificate not trusted: ${info.error ?? 'unknown'}` };
  }
  const mismatch = checkServerIdentity(domain, info.cert);
  if (mismatch) return { ok: false, reason: 'wrong-name', detail: `certificate does not name ${domain}` };
  return { ok: true, via: 'pkix' };
}
