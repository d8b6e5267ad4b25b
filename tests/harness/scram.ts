// A minimal SCRAM client (RFC 5802 / RFC 7677) for the raw test client and for xmpp.js, which ships
// only SCRAM-SHA-1. It never offers channel binding (GS2 flag "n").
import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';

export type ScramHash = 'sha1' | 'sha256' | 'sha512';

const LENGTH: Record<ScramHash, number> = { sha1: 20, sha256: 32, sha512: 64 };

export const mechanismName = (hash: ScramHash) => `SCRAM-${hash.toUpperCase().replace('SHA', 'SHA-')}`;

/** RFC 5802 §5.1: "=" and "," in a username are escaped. */
const saslname = (s: string) => s.replace(/=/g, '=3D').replace(/,/g, '=2C');

function parse(msg: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of msg.split(',')) out.set(part.slice(0, 1), part.slice(2));
  return out;
}

export class ScramClient {
  private readonly nonce = randomBytes(18).toString('base64');
  private firstBare = '';
  private serverSignature: Buffer | null = null;

  constructor(
    readonly hash: ScramHash,
    private readonly username: string,
    private readonly password: string,
  ) {}

  get mechanism(): string {
    return mechanismName(this.hash);
  }

  clientFirst(): string {
    this.firstBare = `n=${saslname(this.username)},r=${this.nonce}`;
    return `n,,${this.firstBare}`;
  }

  clientFinal(serverFirst: string): string {
    const attrs = parse(serverFirst);
    const nonce = attrs.get('r') ?? '';
    const salt = Buffer.from(attrs.get('s') ?? '', 'base64');
    const iterations = Number(attrs.get('i'));
    if (!nonce.startsWith(this.nonce) || salt.length === 0 || !(iterations > 0)) throw new Error(`bad server-first-message: ${serverFirst}`);
    const withoutProof = `c=${Buffer.from('n,,').toString('base64')},r=${nonce}`;
    const salted = pbkdf2Sync(this.password, salt, iterations, LENGTH[this.hash], this.hash);
    const clientKey = this.hmac(salted, 'Client Key');
    const storedKey = createHash(this.hash).update(clientKey).digest();
    const authMessage = `${this.firstBare},${serverFirst},${withoutProof}`;
    const signature = this.hmac(storedKey, authMessage);
    const proof = Buffer.from(clientKey.map((b, i) => b ^ (signature[i] ?? 0)));
    this.serverSignature = this.hmac(this.hmac(salted, 'Server Key'), authMessage);
    return `${withoutProof},p=${proof.toString('base64')}`;
  }

  /** RFC 5802 §3: the client authenticates the server too. */
  verifyServerFinal(serverFinal: string): boolean {
    const v = parse(serverFinal).get('v');
    if (!v || !this.serverSignature) return false;
    const got = Buffer.from(v, 'base64');
    return got.length === this.serverSignature.length && timingSafeEqual(got, this.serverSignature);
  }

  private hmac(key: Buffer, data: string): Buffer {
    return createHmac(this.hash, key).update(data).digest();
  }
}

interface SaslCredentials {
  username?: string | null;
  password?: string | null;
}

/**
 * Builds a mechanism class in the shape the `saslmechanisms` factory used by @xmpp/sasl expects
 * (`name`, `clientFirst`, `response(cred)`, `challenge(chal)`), like @xmpp/sasl-scram-sha-1.
 */
export function xmppJsScramMechanism(hash: ScramHash) {
  return class ScramMechanism {
    static readonly mechanismName = mechanismName(hash);
    readonly name = mechanismName(hash);
    readonly clientFirst = true;
    private client: ScramClient | null = null;
    private serverFirst: string | null = null;

    response(cred: SaslCredentials): string {
      if (!this.client) {
        this.client = new ScramClient(hash, cred.username ?? '', cred.password ?? '');
        return this.client.clientFirst();
      }
      if (this.serverFirst === null) throw new Error('SCRAM: response before the server challenge');
      return this.client.clientFinal(this.serverFirst);
    }

    challenge(chal: string): this {
      this.serverFirst = chal;
      return this;
    }
  };
}
