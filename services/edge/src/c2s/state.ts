// The client stream's states (STYLE.md §3, after MongooseIM's mongoose_c2s): a discriminated
// union in which each state carries its own data, retry count and deadline kind.
import type { UserAgentInfo } from '@parley/ext';
import type { Jid } from '@parley/jid';
import type { SaslSession } from '@parley/sasl';
import type { Sasl2Request } from './sasl2.ts';

/** Who authenticated, and how (kept for the login record once a resource is bound). */
export interface Authenticated {
  user: string;
  mechanism: string;
  /** What signed in, when the mechanism names it (a client certificate's fingerprint): revocation closes the stream. */
  credential?: string;
  /** XEP-0388 §2.3 user agent (software, device, id) as one line for the sign-in history. */
  client?: string;
  /** XEP-0388 §2.3 user agent as the client sent it. */
  userAgent?: UserAgentInfo;
}

export type C2SState =
  /** Waiting for a stream header: the first one, or the restart after TLS or SASL (RFC 6120 §4.3.3). */
  | { name: 'wait_for_stream'; auth: Authenticated | null; saslFailures: number }
  | { name: 'wait_for_feature_before_auth'; saslFailures: number }
  | { name: 'wait_for_sasl_response'; session: SaslSession; mechanism: string; saslFailures: number }
  /** XEP-0388 (sasl2.ts): like wait_for_sasl_response, with the inline requests to honour on success. */
  | { name: 'wait_for_sasl2_response'; session: SaslSession; mechanism: string; saslFailures: number; request: Sasl2Request }
  | { name: 'wait_for_bind'; auth: Authenticated }
  | { name: 'session_established'; jid: Jid; auth: Authenticated }
  | { name: 'closed' };

export type C2SStateName = C2SState['name'];

/** Failed SASL attempts allowed on one connection before it is closed (RFC 6120 §6.4.5 allows retries). */
export const MAX_SASL_FAILURES = 3;

/**
 * Which deadline runs in each state: negotiation (config negotiationTimeoutSec, from connect to a
 * bound resource, connection-timeout), idle (idleTimeoutSec of silence, RFC 6120 §4.6), or none.
 */
export const DEADLINE: Record<C2SStateName, 'negotiation' | 'idle' | null> = {
  wait_for_stream: 'negotiation',
  wait_for_feature_before_auth: 'negotiation',
  wait_for_sasl_response: 'negotiation',
  wait_for_sasl2_response: 'negotiation',
  wait_for_bind: 'negotiation',
  session_established: 'idle',
  closed: null,
};
