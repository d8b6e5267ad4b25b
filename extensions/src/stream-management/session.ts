// XEP-0198 at the session actor: what goes to a single stream-managed connection is kept in its
// outbox (in the location service, outside the edge) until the client acknowledges it, and what is
// left when the connection ends is routed again (§5 leaves unacknowledged stanzas to the server).
import { RoutingRecoveringError } from '@parley/actor';
import type { SessionContribution } from '@parley/ext';
import { type Element, parseFragment } from '@parley/xml';

export const smSession: SessionContribution = {
  /**
   * A stanza that reaches several resources is not kept: re-routing it after one of them died
   * would hand a second copy to the others, which already have it. Broadcast copies (stamped per
   * recipient) are not kept either.
   */
  beforeDeliver(d, env) {
    const r = d.recipients[0];
    if (d.recipients.length !== 1 || d.stampRecipient || !r?.sm) return undefined;
    // Nothing was delivered yet: if the outbox cannot take it (Redis lost), the sender's edge retries
    // the hand-off rather than the client being told internal-server-error. The put is fenced on the
    // entry's connection: a session resumed elsewhere meanwhile (XEP-0198 §5) took the outbox with it,
    // and the retry finds the new connection.
    return env.location.outboxPut(r.conn, d.id, d.xml, r.jid).then(
      (kept) => {
        if (!kept) throw new RoutingRecoveringError('the session moved to another connection');
      },
      (err: Error) => {
        throw new RoutingRecoveringError(`the outbox is unavailable: ${err.message}`);
      },
    );
  },
  /** Route what the client never acknowledged as if sent to the bare JID: another resource, or offline. */
  async resourceGone({ env, key, conn }) {
    const left = await env.location.outboxTake(conn);
    for (const text of left) {
      let stanza: Element;
      try {
        stanza = parseFragment(text);
      } catch {
        continue;
      }
      if (stanza.name === 'message') await env.messageToBare(key, stanza, undefined);
    }
    if (left.length) env.log.info('re-routed unacknowledged deliveries', { key, count: left.length });
  },
};
