// IQs a module answers at the edge itself (libs/ext `LocalIq`), at any negotiation stage: the reply
// is written when the handler settles; an asynchronous handler holds the input meanwhile so the
// client's next elements are handled after it (RFC 6120 §8.2.3 leaves IQ order to the client).
import type { LocalIq, LocalIqContext, LocalIqReply } from '@parley/ext';
import { stanzaErrorReply } from '@parley/stanza';
import type { Element } from '@parley/xml';
import { addressKey } from '../limits/index.ts';
import type { C2SConnection } from './connection.ts';

/** Runs the handler; the promise (if any) settles once the reply was written. */
export function answerLocalIq(conn: C2SConnection, local: LocalIq, iq: Element): Promise<void> | undefined {
  let out: LocalIqReply | Promise<LocalIqReply>;
  try {
    out = local.handle(iq, localIqContext(conn));
  } catch (err) {
    failed(conn, iq, err);
    return;
  }
  if (!(out instanceof Promise)) {
    write(conn, out);
    return;
  }
  const release = conn.api.holdInput();
  return out.then(
    (reply) => {
      write(conn, reply);
      release();
    },
    (err) => {
      failed(conn, iq, err);
      release();
    },
  );
}

function write(conn: C2SConnection, out: LocalIqReply): void {
  if (conn.isClosed()) return;
  if ('reply' in out) {
    conn.sendStanza(out.reply.toString());
    out.after();
  } else conn.sendStanza(out.toString());
}

function failed(conn: C2SConnection, iq: Element, err: unknown): void {
  conn.log.error('edge-local IQ failed', { err, element: iq.getChildElements()[0]?.name });
  if (!conn.isClosed()) conn.sendStanza(stanzaErrorReply(iq, 'internal-server-error', { from: undefined }).toString());
}

function localIqContext(conn: C2SConnection): LocalIqContext {
  const { ctx, transport } = conn;
  return {
    stream: conn.api,
    domain: ctx.config.domain,
    address: addressKey(transport.remoteAddress),
    secure: transport.secure(),
    store: ctx.store,
    limiter: ctx.limits.shared,
  };
}
