// Server dialback (XEP-0220), only ever after TLS, under PARLEY_S2S_POLICY=allow-dialback-over-tls:
// a peer whose certificate does not pass (self-signed, unknown CA, wrong name, expired) may prove
// its domain by dialback instead of SASL EXTERNAL. A pinned domain that presents another
// certificate, or a refused domain, never may. Keys are XEP-0185's, so any process of a cluster
// (all share the server secret) can answer a db:verify for a stream another one opened.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { Verdict } from './verify.ts';

export const NS_DB = 'jabber:server:dialback';
/** XEP-0220 §2.1: the stream feature a server that supports dialback advertises. */
export const NS_DB_FEATURE = 'urn:xmpp:features:dialback';

export interface Dialback {
  /** XEP-0185 §3: hex HMAC-SHA256(SHA-256(secret), receiving + ' ' + originating + ' ' + stream id). */
  key(receiving: string, originating: string, streamId: string): string;
  /** Does `key` prove that we (originating) opened the stream `streamId` to `receiving`? */
  check(receiving: string, originating: string, streamId: string, key: string): boolean;
}

export function dialbackKeys(secret: Buffer): Dialback {
  const hashed = createHash('sha256').update(secret).digest('hex');
  const key = (receiving: string, originating: string, streamId: string) => createHmac('sha256', hashed).update(`${receiving} ${originating} ${streamId}`).digest('hex');
  return {
    key,
    check(receiving, originating, streamId, given) {
      const want = Buffer.from(key(receiving, originating, streamId));
      const got = Buffer.from(given.trim().toLowerCase());
      return got.length === want.length && timingSafeEqual(got, want);
    },
  };
}

/** May a peer whose certificate got `verdict` fall back to dialback? Only for a certificate that merely does not validate. */
export function dialbackMayReplace(verdict: Verdict): boolean {
  return !verdict.ok && (verdict.reason === 'untrusted' || verdict.reason === 'expired' || verdict.reason === 'wrong-name' || verdict.reason === 'no-certificate');
}
