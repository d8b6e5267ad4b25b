// Before authentication (RFC 6120 §5, §6): STARTTLS, a SASL or SASL2 start, or an IQ a module
// answers before authentication; anything else closes the stream.
import { NS } from '@parley/stanza';
import { type Element, xml } from '@parley/xml';
import type { C2SConnection } from './connection.ts';
import { answerLocalIq } from './local-iq.ts';
import { startAuth } from './sasl.ts';
import { isSasl2, startSasl2 } from './sasl2.ts';

/** An element in wait_for_feature_before_auth. */
export function beforeAuth(conn: C2SConnection, el: Element, saslFailures: number): void {
  if (el.is('starttls', NS.tls)) {
    if (!conn.transport.canStartTls()) {
      conn.streamError('policy-violation', 'TLS is already active');
      return;
    }
    conn.send(xml('proceed', { xmlns: NS.tls }));
    conn.setState({ name: 'wait_for_stream', auth: null, saslFailures });
    conn.input.restart();
    conn.transport.startTls().then(
      () => conn.log.debug('tls established', conn.transport.tlsInfo() ?? {}),
      (err) => {
        conn.log.info('tls handshake failed', { err: (err as Error).message });
        conn.close(true);
      },
    );
    return;
  }
  if (el.is('auth', NS.sasl)) {
    startAuth(conn, el, saslFailures);
    return;
  }
  if (isSasl2(el)) {
    startSasl2(conn, el, saslFailures);
    return;
  }
  // An IQ a module answers before authentication (XEP-0077 registration), where it is offered:
  // with TLS required, only once TLS is in place (RFC 6120 §5.3.1).
  const children = el.is('iq', NS.client) ? el.getChildElements() : [];
  const payload = children.length === 1 ? children[0] : undefined;
  const local =
    payload && (!conn.ctx.config.requireTls || conn.transport.secure())
      ? conn.ctx.ext.localIq('before-auth', el.attr('type') ?? '', payload.getNS(), payload.name)
      : undefined;
  if (local && el.attr('id')) {
    void answerLocalIq(conn, local, el);
    return;
  }
  // RFC 6120 §6.4: any other stanza before authentication is not-authorized and closes.
  conn.streamError('not-authorized', 'authenticate first');
}
