export type ScramHash = 'SHA-1' | 'SHA-256' | 'SHA-512';

/** What the store keeps per account and hash (RFC 5802 §3): never the password itself. */
export interface ScramCredential {
  hash: ScramHash;
  salt: string; // base64
  iterations: number;
  storedKey: string; // base64
  serverKey: string; // base64
  /**
   * The account is locked: its real salt is shown but no proof verifies, so a locked account fails
   * exactly like a wrong password (RFC 6120 §6.5.10 not-authorized) and its state is not revealed.
   */
  locked?: boolean;
}

export type ChannelBindingType = 'tls-exporter' | 'tls-server-end-point';

export interface SaslContext {
  tls: boolean;
  /** Channel-binding data of this connection, undefined when the type is unavailable. */
  channelBinding: (type: ChannelBindingType) => Buffer | undefined;
  /** Credential for a prepared localpart, null when the account (or that hash) does not exist. */
  lookup: (username: string, hash: ScramHash) => Promise<ScramCredential | null>;
  /** Secret for the deterministic fake salt handed to unknown users. */
  fakeSaltSecret: Buffer;
  /** PLAIN needs TLS regardless; false disables it even over TLS. Default true. */
  plainAllowed?: boolean;
  /** Server domain; when set, an authzid must be exactly the user's bare JID on it. */
  domain?: string;
  /** Iteration count shown to unknown users; keep it equal to the one new credentials get. Default 10000. */
  defaultIterations?: number;
  /** Server nonce source, for tests only. */
  nonce?: () => string;
}

/** RFC 6120 §6.5 SASL failure conditions. */
export type SaslFailureCondition =
  | 'aborted'
  | 'account-disabled'
  | 'credentials-expired'
  | 'encryption-required'
  | 'incorrect-encoding'
  | 'invalid-authzid'
  | 'invalid-mechanism'
  | 'malformed-request'
  | 'mechanism-too-weak'
  | 'not-authorized'
  | 'temporary-auth-failure';

export type SaslStep =
  | { kind: 'challenge'; data: Buffer }
  /** `credential`: what signed in when the mechanism names it (a client certificate's fingerprint), so it can be revoked. */
  | { kind: 'success'; data?: Buffer; username: string; authzid?: string; credential?: string }
  /** `username`: the authentication identity the client named, when known (sign-in history). */
  | { kind: 'failure'; condition: SaslFailureCondition; text?: string; username?: string };

export interface SaslSession {
  readonly mechanism: string;
  start(initialResponse: Buffer | null): Promise<SaslStep>;
  step(response: Buffer): Promise<SaslStep>;
}

export function failure(condition: SaslFailureCondition, text?: string): SaslStep {
  return text === undefined ? { kind: 'failure', condition } : { kind: 'failure', condition, text };
}

export const DEFAULT_ITERATIONS = 10000;
