// The Hashed Token SASL mechanisms (draft-schmaus-kitten-sasl-ht, used by XEP-0484 FAST): one
// round trip, the client proves it holds a server-issued token with an HMAC keyed by the token
// over "Initiator" and the channel-binding data; the server answers with "Responder".
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { safeEqual } from './crypto.ts';
import type { ChannelBindingType } from './types.ts';

/** draft-schmaus-kitten-sasl-ht §3: HT-<hash>-<cb>; ENDP, EXPR and NONE are the ones we can offer. */
const CB_OF: Record<string, ChannelBindingType | null> = {
  'HT-SHA-256-ENDP': 'tls-server-end-point',
  'HT-SHA-256-EXPR': 'tls-exporter',
  'HT-SHA-256-NONE': null,
};

/** Hashed-token mechanisms usable on this connection, channel-binding ones first (XEP-0484 §3.1). */
export function hashedTokenMechanisms(channelBindingTypes: ChannelBindingType[]): string[] {
  return Object.entries(CB_OF)
    .filter(([, cb]) => cb === null || channelBindingTypes.includes(cb))
    .map(([name]) => name);
}

export function isHashedTokenMechanism(name: string): boolean {
  return Object.hasOwn(CB_OF, name);
}

/** The channel-binding type a mechanism binds to: null for -NONE, undefined for an unknown name. */
export function hashedTokenChannelBinding(mechanism: string): ChannelBindingType | null | undefined {
  return Object.hasOwn(CB_OF, mechanism) ? CB_OF[mechanism] : undefined;
}

/**
 * A new token. It is longer than SHA-256's block (64 bytes) so that HMAC keys it with SHA-256(token)
 * (RFC 2104 §2): the server can keep only that hash and still verify, and never stores the token.
 */
export function newHashedToken(): { token: string; key: Buffer } {
  const token = randomBytes(66).toString('base64url'); // 88 characters
  return { token, key: hashedTokenKey(token) };
}

/** What the server keeps of a token: SHA-256 of it, which is also the effective HMAC key (RFC 2104 §2). */
export function hashedTokenKey(token: string): Buffer {
  const raw = Buffer.from(token, 'utf8');
  if (raw.length <= 64) throw new Error('hashed tokens must be longer than 64 bytes');
  return createHash('sha256').update(raw).digest();
}

/** Client first message (§3.1): authcid NUL HMAC(token, "Initiator" || cb-data). */
export function parseHashedTokenInitial(data: Buffer): { username: string; proof: Buffer } | null {
  const nul = data.indexOf(0);
  if (nul <= 0) return null;
  const proof = data.subarray(nul + 1);
  // §3.1: the HMAC output of SHA-256 is 32 octets.
  if (proof.length !== 32) return null;
  const username = data.subarray(0, nul).toString('utf8');
  if (Buffer.from(username, 'utf8').compare(data.subarray(0, nul)) !== 0) return null; // not UTF-8
  return { username, proof };
}

/** §3.1: does `proof` come from the holder of the token whose key is `key`? (constant time) */
export function verifyHashedToken(key: Buffer, cbData: Buffer, proof: Buffer): boolean {
  const expected = createHmac('sha256', key).update('Initiator').update(cbData).digest();
  return safeEqual(expected, proof);
}

/** §3.2: the server's answer, HMAC(token, "Responder" || cb-data), sent as additional data. */
export function hashedTokenResponder(key: Buffer, cbData: Buffer): Buffer {
  return createHmac('sha256', key).update('Responder').update(cbData).digest();
}

/** A client's first message, for tests and tools. */
export function hashedTokenInitial(username: string, token: string, cbData: Buffer = Buffer.alloc(0)): Buffer {
  const proof = createHmac('sha256', Buffer.from(token, 'utf8')).update('Initiator').update(cbData).digest();
  return Buffer.concat([Buffer.from(username, 'utf8'), Buffer.from([0]), proof]);
}
