// Whether a store failure means "Postgres cannot be reached right now" (stopped, restarting, failing
// over, network) rather than a problem with the request: the caller may then hold and retry instead
// of failing the request for good.

/**
 * SQLSTATE class 08 (connection exception), 57P01–57P03 (shut down, crash, starting up) and 25006
 * (read-only: a standby, or a primary demoted in a failover, until the new primary is found).
 */
const UNAVAILABLE_STATE = /^(08|57P0[123]|25006$)/;
const NETWORK_CODE = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND']);
/** node-postgres reports a lost or refused connection with these texts and no code. */
const CLIENT_TEXT = /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Connection closed/i;

export function isStoreUnreachable(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const { code, message } = e as { code?: unknown; message?: unknown };
    if (typeof code === 'string' && (NETWORK_CODE.has(code) || UNAVAILABLE_STATE.test(code))) return true;
    if (typeof message === 'string' && CLIENT_TEXT.test(message)) return true;
  }
  return false;
}
