import { JidError, prepareLocalpart } from '@parley/jid';
import { acceptAuthzid } from './authzid.ts';
import {
  type DecodedCredential,
  clientKeyOf,
  decodeCredential,
  digest,
  fakeCredential,
  preparePassword,
  safeEqual,
  saltedPassword,
} from './crypto.ts';
import { decodeUtf8 } from './messages.ts';
import { DEFAULT_ITERATIONS, type SaslContext, type SaslSession, type SaslStep, type ScramHash, failure } from './types.ts';

// RFC 4616 §2: authzid, authcid and passwd are each at most 255 octets.
const MAX_FIELD_OCTETS = 255;
const PREFERRED: readonly ScramHash[] = ['SHA-256', 'SHA-512', 'SHA-1'];

/** Server side of PLAIN (RFC 4616), checked against the stored SCRAM credential. */
export class PlainSession implements SaslSession {
  readonly mechanism = 'PLAIN';
  #done = false;
  #started = false;

  constructor(private readonly ctx: SaslContext) {}

  async start(initialResponse: Buffer | null): Promise<SaslStep> {
    if (this.#started) return this.#finish(failure('malformed-request', 'already started'));
    this.#started = true;
    // RFC 6120 §6.4.5 (encryption-required): a cleartext password needs a protected stream.
    if (!this.ctx.tls) return this.#finish(failure('encryption-required'));
    if (initialResponse === null) return { kind: 'challenge', data: Buffer.alloc(0) };
    return this.#verify(initialResponse);
  }

  async step(response: Buffer): Promise<SaslStep> {
    if (!this.#started || this.#done) return this.#finish(failure('malformed-request', 'unexpected response'));
    return this.#verify(response);
  }

  #finish(step: SaslStep): SaslStep {
    this.#done = true;
    return step;
  }

  async #verify(data: Buffer): Promise<SaslStep> {
    try {
      return this.#finish(await this.#check(data));
    } catch {
      return this.#finish(failure('temporary-auth-failure'));
    }
  }

  async #check(data: Buffer): Promise<SaslStep> {
    if (data.length > 3 * MAX_FIELD_OCTETS + 2) return failure('malformed-request', 'message too large');
    const parts: Buffer[] = [];
    let from = 0;
    for (let at = data.indexOf(0); at >= 0; at = data.indexOf(0, from)) {
      parts.push(data.subarray(from, at));
      from = at + 1;
    }
    parts.push(data.subarray(from));
    if (parts.length !== 3) return failure('malformed-request', 'expected authzid NUL authcid NUL passwd');
    const [authzBytes, authcBytes, passBytes] = parts as [Buffer, Buffer, Buffer];
    if (authcBytes.length === 0 || passBytes.length === 0) return failure('malformed-request', 'empty field');
    if (parts.some((p) => p.length > MAX_FIELD_OCTETS)) return failure('malformed-request', 'field too long');
    const authz = decodeUtf8(authzBytes);
    const authc = decodeUtf8(authcBytes);
    const pass = decodeUtf8(passBytes);
    if (authz === null || authc === null || pass === null) return failure('malformed-request', 'invalid UTF-8');

    let username: string;
    let password: string;
    try {
      username = prepareLocalpart(authc);
      password = preparePassword(pass);
    } catch (err) {
      if (err instanceof JidError || err instanceof RangeError) return failure('not-authorized');
      throw err;
    }
    let authzid: string | undefined;
    if (authz !== '') {
      const accepted = acceptAuthzid(authz, username, this.ctx.domain);
      if (accepted === null) return failure('invalid-authzid');
      authzid = accepted;
    }

    // Ask for every hash at once so a missing account takes as long as an existing one.
    const found = await Promise.all(PREFERRED.map((hash) => this.ctx.lookup(username, hash)));
    let hash: ScramHash = 'SHA-256';
    let credential: DecodedCredential | null = null;
    for (const [i, h] of PREFERRED.entries()) {
      const stored = found[i];
      credential = stored ? decodeCredential(stored, h) : null;
      if (credential !== null) {
        hash = h;
        break;
      }
    }
    credential ??= fakeCredential(this.ctx.fakeSaltSecret, username, hash, this.ctx.defaultIterations ?? DEFAULT_ITERATIONS);

    const salted = await saltedPassword(hash, password, credential.salt, credential.iterations);
    const ok = safeEqual(digest(hash, clientKeyOf(hash, salted)), credential.storedKey);
    if (!ok || credential.fake) return failure('not-authorized');
    return authzid === undefined ? { kind: 'success', username } : { kind: 'success', username, authzid };
  }
}
