import { randomBytes } from 'node:crypto';
import { JidError, prepareLocalpart } from '@parley/jid';
import { acceptAuthzid } from './authzid.ts';
import { type DecodedCredential, HASH_LENGTH, decodeCredential, digest, fakeCredential, hmac, safeEqual } from './crypto.ts';
import { MAX_MESSAGE_OCTETS, decodeBase64, decodeUtf8 } from './messages.ts';
import {
  type ChannelBindingType,
  DEFAULT_ITERATIONS,
  type SaslContext,
  type SaslSession,
  type SaslStep,
  type ScramHash,
  failure,
} from './types.ts';

const CHANNEL_BINDING_TYPES: readonly ChannelBindingType[] = ['tls-exporter', 'tls-server-end-point'];

// RFC 5802 §7: printable ASCII except ','.
const NONCE = /^[\x21-\x2b\x2d-\x7e]+$/;
const MAX_NONCE = 256;

export function channelBindingTypesOffered(ctx: Pick<SaslContext, 'channelBinding'>): ChannelBindingType[] {
  return CHANNEL_BINDING_TYPES.filter((type) => ctx.channelBinding(type) !== undefined);
}

/** Whether this connection offers -PLUS mechanisms (what the 'y' flag check must know, RFC 5802 §6). */
export function plusOffered(ctx: Pick<SaslContext, 'tls' | 'channelBinding'>): boolean {
  return ctx.tls && channelBindingTypesOffered(ctx).length > 0;
}

/** RFC 5802 §7 saslname: ',' and '=' travel as "=2C" and "=3D"; any other '=' is malformed. */
function decodeSaslname(s: string): string | null {
  if (!/^(?:[^=,]|=2C|=3D)+$/.test(s)) return null;
  return s.replace(/=2C/g, ',').replace(/=3D/g, '=');
}

type State =
  | { name: 'initial' }
  | { name: 'awaiting-first' }
  | {
      name: 'awaiting-final';
      username: string;
      authzid: string | undefined;
      gs2Header: Buffer;
      cbData: Buffer;
      nonce: string;
      clientFirstBare: string;
      serverFirst: string;
      credential: DecodedCredential;
    }
  | { name: 'done' };

/** Server side of SCRAM (RFC 5802, RFC 7677) with optional channel binding (-PLUS, RFC 5056). */
export class ScramSession implements SaslSession {
  readonly mechanism: string;
  #state: State = { name: 'initial' };

  constructor(
    private readonly hash: ScramHash,
    private readonly plus: boolean,
    private readonly ctx: SaslContext,
  ) {
    this.mechanism = `SCRAM-${hash}${plus ? '-PLUS' : ''}`;
  }

  async start(initialResponse: Buffer | null): Promise<SaslStep> {
    if (this.#state.name !== 'initial') return this.#fail('malformed-request', 'already started');
    if (initialResponse === null) {
      // RFC 6120 §6.4.2: ask for the client-first-message with an empty challenge.
      this.#state = { name: 'awaiting-first' };
      return { kind: 'challenge', data: Buffer.alloc(0) };
    }
    return this.#guard(() => this.#clientFirst(initialResponse));
  }

  async step(response: Buffer): Promise<SaslStep> {
    const state = this.#state;
    if (state.name === 'awaiting-first') return this.#guard(() => this.#clientFirst(response));
    if (state.name === 'awaiting-final') return this.#guard(() => this.#clientFinal(state, response));
    return this.#fail('malformed-request', 'unexpected response');
  }

  async #guard(run: () => Promise<SaslStep>): Promise<SaslStep> {
    try {
      const result = await run();
      if (result.kind !== 'challenge') this.#state = { name: 'done' };
      return result;
    } catch {
      // A store or configuration error: the cause is the caller's to log, the client learns nothing.
      return this.#fail('temporary-auth-failure');
    }
  }

  #fail(condition: Parameters<typeof failure>[0], text?: string): SaslStep {
    this.#state = { name: 'done' };
    return failure(condition, text);
  }

  async #clientFirst(data: Buffer): Promise<SaslStep> {
    if (data.length > MAX_MESSAGE_OCTETS) return this.#fail('malformed-request', 'message too large');
    const msg = decodeUtf8(data);
    if (msg === null) return this.#fail('malformed-request', 'invalid UTF-8');

    // RFC 5802 §7 gs2-header = gs2-cbind-flag "," [ authzid ] ","
    const firstComma = msg.indexOf(',');
    const secondComma = firstComma < 0 ? -1 : msg.indexOf(',', firstComma + 1);
    if (secondComma < 0) return this.#fail('malformed-request', 'missing GS2 header');
    const flag = msg.slice(0, firstComma);
    const authzField = msg.slice(firstComma + 1, secondComma);
    const gs2Header = msg.slice(0, secondComma + 1);
    const clientFirstBare = msg.slice(secondComma + 1);

    let cbType: string | null = null;
    if (flag.startsWith('p=')) {
      cbType = flag.slice(2);
      if (!/^[A-Za-z0-9.-]+$/.test(cbType)) return this.#fail('malformed-request', 'bad channel binding name');
    } else if (flag !== 'n' && flag !== 'y') {
      return this.#fail('malformed-request', 'bad GS2 channel binding flag');
    }

    let cbData: Buffer = Buffer.alloc(0);
    if (this.plus) {
      // RFC 5802 §6: a -PLUS mechanism means channel binding is used.
      if (cbType === null) return this.#fail('malformed-request', 'channel binding required by this mechanism');
      const type = CHANNEL_BINDING_TYPES.find((t) => t === cbType);
      const bound = type === undefined ? undefined : this.ctx.channelBinding(type);
      if (bound === undefined) return this.#fail('not-authorized', 'unsupported channel binding type');
      cbData = bound;
    } else if (cbType !== null) {
      return this.#fail('malformed-request', 'channel binding needs a -PLUS mechanism');
    } else if (flag === 'y' && plusOffered(this.ctx)) {
      // RFC 5802 §6: the client thinks we lack channel binding while we offered it: a downgrade.
      return this.#fail('not-authorized', 'channel binding downgrade detected');
    }

    let authzid: string | undefined;
    if (authzField !== '') {
      if (!authzField.startsWith('a=')) return this.#fail('malformed-request', 'bad authzid field');
      const decoded = decodeSaslname(authzField.slice(2));
      if (decoded === null) return this.#fail('malformed-request', 'bad authzid encoding');
      authzid = decoded;
    }

    const attrs = clientFirstBare.split(',');
    // RFC 5802 §5.1: "m" marks a mandatory extension this server cannot know.
    if (attrs[0]?.startsWith('m=')) return this.#fail('malformed-request', 'unsupported mandatory extension');
    const userAttr = attrs[0];
    const nonceAttr = attrs[1];
    if (userAttr === undefined || !userAttr.startsWith('n=')) return this.#fail('malformed-request', 'expected n=');
    if (nonceAttr === undefined || !nonceAttr.startsWith('r=')) return this.#fail('malformed-request', 'expected r=');
    if (!attrs.slice(2).every((a) => /^[A-Za-z]=/.test(a))) return this.#fail('malformed-request', 'bad extension');
    const rawUser = decodeSaslname(userAttr.slice(2));
    if (rawUser === null) return this.#fail('malformed-request', 'bad username encoding');
    const clientNonce = nonceAttr.slice(2);
    if (!NONCE.test(clientNonce) || clientNonce.length > MAX_NONCE) return this.#fail('malformed-request', 'bad nonce');

    let username: string;
    try {
      username = prepareLocalpart(rawUser);
    } catch (err) {
      // No such name can exist, so failing now reveals nothing about any account.
      if (err instanceof JidError) return this.#fail('not-authorized');
      throw err;
    }

    let acceptedAuthzid: string | undefined;
    if (authzid !== undefined) {
      const accepted = acceptAuthzid(authzid, username, this.ctx.domain);
      if (accepted === null) return this.#fail('invalid-authzid');
      acceptedAuthzid = accepted;
    }

    const stored = await this.ctx.lookup(username, this.hash);
    const credential =
      (stored === null ? null : decodeCredential(stored, this.hash)) ??
      fakeCredential(this.ctx.fakeSaltSecret, username, this.hash, this.ctx.defaultIterations ?? DEFAULT_ITERATIONS);

    const serverNonce = this.ctx.nonce?.() ?? randomBytes(24).toString('base64');
    if (!NONCE.test(serverNonce)) throw new Error('server nonce must be printable ASCII without commas');
    const nonce = clientNonce + serverNonce;
    const serverFirst = `r=${nonce},s=${credential.salt.toString('base64')},i=${credential.iterations}`;
    this.#state = {
      name: 'awaiting-final',
      username,
      authzid: acceptedAuthzid,
      gs2Header: Buffer.from(gs2Header, 'utf8'),
      cbData,
      nonce,
      clientFirstBare,
      serverFirst,
      credential,
    };
    return { kind: 'challenge', data: Buffer.from(serverFirst, 'utf8') };
  }

  async #clientFinal(state: Extract<State, { name: 'awaiting-final' }>, data: Buffer): Promise<SaslStep> {
    if (data.length > MAX_MESSAGE_OCTETS) return this.#fail('malformed-request', 'message too large');
    const msg = decodeUtf8(data);
    if (msg === null) return this.#fail('malformed-request', 'invalid UTF-8');

    // RFC 5802 §7: c=..., r=..., [extensions,] p=... in this order.
    const attrs = msg.split(',');
    const cbAttr = attrs[0];
    const nonceAttr = attrs[1];
    const proofAttr = attrs[attrs.length - 1];
    if (attrs.length < 3 || !cbAttr?.startsWith('c=') || !nonceAttr?.startsWith('r=') || !proofAttr?.startsWith('p=')) {
      return this.#fail('malformed-request', 'expected c=, r= and p=');
    }
    const extensions = attrs.slice(2, -1);
    if (!extensions.every((a) => /^[A-Za-z]=/.test(a))) return this.#fail('malformed-request', 'bad extension');
    if (extensions.some((a) => a.startsWith('m=') || a.startsWith('p='))) {
      return this.#fail('malformed-request', 'unexpected attribute');
    }

    const cbInput = decodeBase64(cbAttr.slice(2));
    const proof = decodeBase64(proofAttr.slice(2));
    if (cbInput === null || proof === null) return this.#fail('incorrect-encoding', 'invalid base64');
    if (proof.length !== HASH_LENGTH[this.hash]) return this.#fail('malformed-request', 'bad proof length');

    const { credential } = state;
    const withoutProof = msg.slice(0, msg.length - proofAttr.length - 1);
    const authMessage = `${state.clientFirstBare},${state.serverFirst},${withoutProof}`;
    const clientSignature = hmac(this.hash, credential.storedKey, authMessage);
    const clientKey = Buffer.alloc(proof.length);
    for (let i = 0; i < proof.length; i++) clientKey[i] = proof[i]! ^ clientSignature[i]!;

    // Evaluate every check so a failure costs the same whichever one failed.
    const cbOk = safeEqual(cbInput, Buffer.concat([state.gs2Header, state.cbData]));
    const nonceOk = safeEqual(Buffer.from(nonceAttr.slice(2), 'utf8'), Buffer.from(state.nonce, 'utf8'));
    const proofOk = safeEqual(digest(this.hash, clientKey), credential.storedKey);
    if (!(cbOk && nonceOk && proofOk) || credential.fake) return this.#fail('not-authorized');

    const serverSignature = hmac(this.hash, credential.serverKey, authMessage);
    return {
      kind: 'success',
      data: Buffer.from(`v=${serverSignature.toString('base64')}`, 'utf8'),
      username: state.username,
      ...(state.authzid === undefined ? {} : { authzid: state.authzid }),
    };
  }
}
