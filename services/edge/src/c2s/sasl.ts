// SASL negotiation on a client stream (RFC 6120 §6): mechanism selection, challenges, success
// with a stream restart, and failures slowed down and counted against a retry budget.
import { createSaslSession, offeredMechanisms, type SaslSession, type SaslStep } from '@parley/sasl';
import { NS } from '@parley/stanza';
import { type Element, xml } from '@parley/xml';
import { guardSasl } from '../limits/index.ts';
import { channelBindingTypes } from './header.ts';
import { moduleSession } from './module-sasl.ts';
import { authFailed } from './sign-in.ts';
import type { C2SConnection } from './connection.ts';
import { MAX_SASL_FAILURES } from './state.ts';

/** An <auth/> in wait_for_feature_before_auth. */
export function startAuth(conn: C2SConnection, el: Element, saslFailures: number): void {
  const { ctx, transport } = conn;
  if (ctx.config.requireTls && !transport.secure()) {
    // §6.4.5 encryption-required is the SASL condition; the stream stays usable.
    conn.send(xml('failure', { xmlns: NS.sasl }, xml('encryption-required')));
    return;
  }
  const mechanism = el.attr('mechanism') ?? '';
  const offered = offeredMechanisms({ tls: transport.secure(), channelBindingTypes: channelBindingTypes(transport) });
  const created =
    moduleSession(conn, mechanism) ??
    (offered.includes(mechanism)
    ? createSaslSession(mechanism, {
        tls: transport.secure(),
        channelBinding: (t) => transport.channelBinding(t),
        lookup: (username, hash) => ctx.store.users.getCredential(username, ctx.config.domain, hash),
        fakeSaltSecret: ctx.fakeSaltSecret,
        domain: ctx.config.domain,
        // Unknown users must see the same iteration count as real ones.
        defaultIterations: ctx.config.scramIterations,
      })
    : null);
  // Brute-force gate (limits/brute-force.ts): slows and locks after repeated failures.
  const session = created && guardSasl(ctx.limits.auth, created, transport.remoteAddress);
  if (!session) {
    conn.send(xml('failure', { xmlns: NS.sasl }, xml('invalid-mechanism')));
    return;
  }
  conn.setState({ name: 'wait_for_sasl_response', session, mechanism, saslFailures });
  const text = el.text().trim();
  // §6.4.2: "=" is an empty initial response; no text means none.
  const initial = text === '' ? null : text === '=' ? Buffer.alloc(0) : decodeBase64(text);
  if (initial === undefined) result(conn, { kind: 'failure', condition: 'incorrect-encoding' });
  else run(conn, session.start(initial));
}

/** An element in wait_for_sasl_response. */
export function continueAuth(conn: C2SConnection, el: Element, session: SaslSession): void {
  if (el.is('response', NS.sasl)) {
    const text = el.text().trim();
    const data = text === '' || text === '=' ? Buffer.alloc(0) : decodeBase64(text);
    if (data === undefined) result(conn, { kind: 'failure', condition: 'incorrect-encoding' });
    else run(conn, session.step(data));
    return;
  }
  if (el.is('abort', NS.sasl)) {
    result(conn, { kind: 'failure', condition: 'aborted' });
    return;
  }
  conn.streamError('not-authorized', 'authentication in progress');
}

/** Hold input while the (async) mechanism works, so elements are handled in order. */
function run(conn: C2SConnection, step: Promise<SaslStep>): void {
  conn.input.hold();
  step.then(
    (s) => {
      if (conn.isClosed()) return;
      if (result(conn, s) === 'answered') conn.input.release();
    },
    (err) => {
      conn.log.error('sasl failure', { err });
      conn.streamError('internal-server-error');
    },
  );
}

/** 'delayed': a failure whose answer (and further input) waits out the back-off. */
function result(conn: C2SConnection, step: SaslStep): 'answered' | 'delayed' {
  const state = conn.state;
  if (state.name !== 'wait_for_sasl_response') return 'answered';
  const { mechanism, saslFailures } = state;
  if (step.kind === 'challenge') {
    conn.send(xml('challenge', { xmlns: NS.sasl }, b64(step.data)));
    return 'answered';
  }
  if (step.kind === 'success') {
    conn.send(xml('success', { xmlns: NS.sasl }, step.data?.length ? b64(step.data) : null));
    conn.ctx.metrics.auth.inc({ result: 'success', mechanism });
    // §6.4.6: the stream restarts on success.
    conn.setState({ name: 'wait_for_stream', auth: { user: step.username, mechanism, ...(step.credential ? { credential: step.credential } : {}) }, saslFailures });
    conn.input.restart();
    return 'answered';
  }
  conn.ctx.metrics.auth.inc({ result: 'failure', mechanism });
  const failures = saslFailures + 1;
  conn.log.info('authentication failed', { condition: step.condition, mechanism, ip: conn.transport.remoteAddress });
  authFailed(conn, { user: step.username ?? null, mechanism, reason: step.text ? `${step.condition}: ${step.text}` : step.condition, userAgent: null });
  const failure = xml('failure', { xmlns: NS.sasl }, xml(step.condition), step.text ? xml('text', { 'xml:lang': 'en' }, step.text) : null);
  conn.setState({ name: 'wait_for_feature_before_auth', saslFailures: failures });
  // Slow down guessing: each failure waits longer before the answer is sent and input is read again.
  const delay = Math.min(250 * 2 ** (failures - 1), 2000);
  conn.input.hold();
  setTimeout(() => {
    if (conn.isClosed()) return;
    conn.send(failure);
    if (failures >= MAX_SASL_FAILURES) {
      conn.streamError('policy-violation', 'too many failed authentication attempts');
      return;
    }
    conn.input.release();
  }, delay).unref();
  return 'delayed';
}

function b64(data: Buffer): string {
  return data.length === 0 ? '=' : data.toString('base64');
}

/** §6.4.2: strict base64 (RFC 4648 §4); anything else is incorrect-encoding. */
function decodeBase64(text: string): Buffer | undefined {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) return undefined;
  return Buffer.from(text, 'base64');
}
