// SASL mechanisms the loaded modules add (libs/ext `edge.sasl`, e.g. XEP-0178 EXTERNAL): asked per
// connection whether they are offered, and used for RFC 6120 SASL and XEP-0388 SASL2 alike.
import type { SaslMechanismContext } from '@parley/ext';
import type { SaslSession } from '@parley/sasl';
import type { C2SConnection } from './connection.ts';

export function mechanismContext(conn: C2SConnection): SaslMechanismContext {
  const { ctx, transport } = conn;
  return { domain: ctx.config.domain, secure: transport.secure(), clientCertificate: transport.clientCertificate(), store: ctx.store, log: conn.log };
}

/** Asks every module mechanism whether it is offered now; one that fails to answer is not offered. */
export async function offerModuleMechanisms(conn: C2SConnection): Promise<void> {
  const offers = conn.ctx.ext.saslMechanisms();
  if (offers.length === 0) return;
  const ctx = mechanismContext(conn);
  const answers = await Promise.all(
    offers.map((m) =>
      m.offered(ctx).catch((err: Error) => {
        conn.log.warn('a SASL mechanism could not tell whether it is offered', { mechanism: m.name, err: err.message });
        return false;
      }),
    ),
  );
  conn.moduleMechanisms = offers.filter((_, i) => answers[i]).map((m) => m.name);
}

/** A session of a module mechanism offered on this connection, or null. */
export function moduleSession(conn: C2SConnection, mechanism: string): SaslSession | null {
  if (!conn.moduleMechanisms.includes(mechanism)) return null;
  const offer = conn.ctx.ext.saslMechanisms().find((m) => m.name === mechanism);
  return offer ? offer.session(mechanismContext(conn)) : null;
}
