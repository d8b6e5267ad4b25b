// Is the certificate a client presented good for signing in (XEP-0178 §2)? Only a certificate
// recorded for an account and still active: issued by this server's client CA (and still chaining
// to it) or registered by the account (XEP-0257 §2.1); within its validity either way. The
// fingerprint is looked up in the store at every sign-in, so a revocation holds at once, cluster-wide.
import { X509Certificate } from 'node:crypto';
import type { SaslMechanismContext } from '@parley/ext';
import { issuedBy, within } from '@parley/pki';
import type { ClientCert } from '@parley/store';

export type Judgement = { ok: true; cert: ClientCert } | { ok: false; reason: string };

export async function judgeClientCertificate(ctx: SaslMechanismContext): Promise<Judgement> {
  if (!ctx.secure || !ctx.clientCertificate) return { ok: false, reason: 'no client certificate' };
  let presented: X509Certificate;
  try {
    presented = new X509Certificate(ctx.clientCertificate);
  } catch {
    return { ok: false, reason: 'unreadable client certificate' };
  }
  const cert = await ctx.store.clientCerts.byFingerprint(presented.fingerprint256);
  if (!cert || cert.domain !== ctx.domain) return { ok: false, reason: 'certificate not known to this server' };
  if (cert.state !== 'active') return { ok: false, reason: `certificate ${cert.state}` };
  if (!within(presented)) return { ok: false, reason: 'certificate expired or not yet valid' };
  if (cert.source === 'issued') {
    // RFC 5280 §6.1 path validation, one level: a CA made anew (`parley cert ca init --force`) ends the old one's certificates.
    const ca = await ctx.store.clientCerts.ca(ctx.domain);
    if (!ca || !issuedBy(presented, ca.certPem)) return { ok: false, reason: "certificate not issued by this server's client CA" };
  }
  return { ok: true, cert };
}
