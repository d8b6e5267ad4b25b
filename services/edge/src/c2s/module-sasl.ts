// SASL mechanisms the loaded modules add (libs/ext `edge.sasl`, e.g. XEP-0178 EXTERNAL): asked per
// connection whether they are offered, and used for RFC 6120 SASL and XEP-0388 SASL2 alike.
import type { SaslMechanismContext } from '@parley/ext';
import type { SaslSession } from '@parley/sasl';
import type { C2SConnection } from './connection.ts';

export function mechanismContext(conn: C2SConnection): SaslMechanismContext {
  const { ctx, transport } = conn;
  return { domain: ctx.config.domain, secure: transport.secure(), clientCertificate: transport.clientCertificate(), store: ctx.store, log: conn.log };
}

/**
 * Sends the pre-authentication features (`features`) once every module mechanism said whether it is
 * offered. A mechanism may need the store to tell (a client certificate's state): the client's next
 * element waits for the features. One that fails to answer is not offered.
 */
export function offerModuleMechanisms(conn: C2SConnection, features: () => void): void {
  const { ctx, transport } = conn;
  const offers = ctx.ext.saslMechanisms();
  if (offers.length === 0 || (ctx.config.requireTls && !transport.secure())) {
    features();
    return;
  }
  conn.input.hold();
  const ask = async () => {
    const mctx = mechanismContext(conn);
    return Promise.all(
      offers.map((m) =>
        m.offered(mctx).catch((err: Error) => {
          conn.log.warn('a SASL mechanism could not tell whether it is offered', { mechanism: m.name, err: err.message });
          return false;
        }),
      ),
    );
  };
  ask().then(
    (answers) => {
      conn.moduleMechanisms = offers.filter((_, i) => answers[i]).map((m) => m.name);
      if (conn.isClosed()) return;
      features();
      conn.input.release();
    },
    (err) => {
      conn.log.error('offering SASL mechanisms failed', { err });
      conn.streamError('internal-server-error');
    },
  );
}

/** A session of a module mechanism offered on this connection, or null. */
export function moduleSession(conn: C2SConnection, mechanism: string): SaslSession | null {
  if (!conn.moduleMechanisms.includes(mechanism)) return null;
  const offer = conn.ctx.ext.saslMechanisms().find((m) => m.name === mechanism);
  return offer ? offer.session(mechanismContext(conn)) : null;
}
