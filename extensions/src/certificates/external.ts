// SASL EXTERNAL on a TLS client certificate (RFC 4422 Appendix A, XEP-0178 §2): offered only when
// the certificate the client presented may sign in (judge.ts), and checked again when it is used.
import type { SaslMechanismContext, SaslMechanismOffer } from '@parley/ext';
import { tryParseJid } from '@parley/jid';
import type { SaslStep } from '@parley/sasl';
import { judgeClientCertificate } from './judge.ts';

export const EXTERNAL = 'EXTERNAL';

export const externalMechanism: SaslMechanismOffer = {
  name: EXTERNAL,
  async offered(ctx) {
    return (await judgeClientCertificate(ctx)).ok;
  },
  session(ctx) {
    let done = false;
    const attempt = async (authzid: Buffer | null): Promise<SaslStep> => {
      if (done) return { kind: 'failure', condition: 'malformed-request', text: 'authentication already finished' };
      // RFC 4422 Appendix A: the client's message is the authzid (maybe empty); none yet: ask for it.
      if (authzid === null) return { kind: 'challenge', data: Buffer.alloc(0) };
      done = true;
      return authenticate(ctx, authzid.toString('utf8'));
    };
    return { mechanism: EXTERNAL, start: attempt, step: attempt };
  },
};

async function authenticate(ctx: SaslMechanismContext, authzid: string): Promise<SaslStep> {
  const verdict = await judgeClientCertificate(ctx);
  // RFC 6120 §6.5.10: the certificate no longer signs in (revoked or disabled since it was offered, expired).
  if (!verdict.ok) return { kind: 'failure', condition: 'not-authorized', text: verdict.reason };
  const { cert } = verdict;
  const account = `${cert.username}@${cert.domain}`;
  const user = await ctx.store.users.get(cert.username, cert.domain);
  // A locked account fails like any refused credential (docs/security.md).
  if (!user || user.locked) return { kind: 'failure', condition: 'not-authorized', username: cert.username };
  // XEP-0178 §2: an empty authzid means the identity the certificate stands for; a given one must be
  // that account's bare JID (RFC 6120 §6.3.8), or the attempt fails with invalid-authzid (§6.5.6).
  if (authzid !== '' && tryParseJid(authzid)?.toString() !== account) return { kind: 'failure', condition: 'invalid-authzid', username: cert.username };
  return { kind: 'success', username: cert.username, credential: cert.fingerprint };
}
