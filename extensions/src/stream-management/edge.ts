// XEP-0198 on one client connection: enable, acknowledgement requests and answers (§4), and the
// deliveries kept until the client acknowledges them. Resumption (§5) is not offered yet.
import type { ConnectionHooks, StreamApi } from '@parley/ext';
import { NS } from '@parley/stanza';
import { xml } from '@parley/xml';
import type { SmMetrics } from './metrics.ts';

interface SmState {
  /** Stanzas received since enable, and how many of them (contiguously) were handled. */
  received: number;
  handled: number;
  done: Set<number>;
  /** Stanzas sent since enable, and the client's last acknowledgement. */
  sent: number;
  acked: number;
  /** Deliveries kept in the outbox, by the stream position they were sent at. */
  kept: Array<{ seq: number; id: string }>;
  /** An <r/> of ours is scheduled or unanswered. */
  asking: boolean;
  /** Unanswered <r/>s from the client, each with the count of stanzas received before it. */
  owed: number[];
}

/** How long deliveries are batched before we ask the client to acknowledge them. */
const ASK_DELAY_MS = 100;

export function smConnection(api: StreamApi, metrics: SmMetrics | null): ConnectionHooks {
  let sm: SmState | null = null;
  const failed = (condition = 'unexpected-request') => api.send(xml('failed', { xmlns: NS.sm }, xml(condition, { xmlns: NS.stanzas })));
  const answer = (s: SmState) => api.send(xml('a', { xmlns: NS.sm, h: String(s.handled % 2 ** 32) }));

  /**
   * A stanza counts as handled once its owning actor accepted it (or it was answered at the edge),
   * so `<a h/>` never acknowledges a stanza the server could still lose (ARCHITECTURE.md, Actors).
   */
  const handled = (s: SmState, seq: number) => {
    s.done.add(seq);
    while (s.done.delete(s.handled + 1)) s.handled++;
    while (s.owed.length && s.owed[0]! <= s.handled) {
      s.owed.shift();
      answer(s);
    }
  };

  /** §4: ask the client to acknowledge, at most one request outstanding, batched. */
  const askForAck = (s: SmState) => {
    if (s.asking) return;
    s.asking = true;
    setTimeout(() => {
      if (sm === s && !api.isClosed()) api.send(xml('r', { xmlns: NS.sm }));
    }, ASK_DELAY_MS).unref();
  };

  /** Returns the <enabled/> answer: sent on the stream, or put into a Bind2 <bound/> (XEP-0386 §2.3). */
  const enable = () => {
    sm = { received: 0, handled: 0, done: new Set(), sent: 0, acked: 0, kept: [], asking: false, owed: [] };
    metrics?.enabled.inc();
    // From now on the session actors keep this connection's deliveries until acknowledged.
    api.patchEntry({ sm: true });
    return xml('enabled', { xmlns: NS.sm });
  };

  const ack = (s: SmState, hText: string | undefined) => {
    const h = Number(hText);
    // §4: acknowledging more than was sent is a protocol violation.
    if (!Number.isInteger(h) || h < 0 || h > s.sent) {
      api.streamError('undefined-condition', 'acknowledged more stanzas than were sent');
      return;
    }
    s.acked = h;
    s.asking = false;
    const acked: string[] = [];
    while (s.kept.length && s.kept[0]!.seq <= h) acked.push(s.kept.shift()!.id);
    if (acked.length) api.acknowledged(acked);
    if (s.kept.length) askForAck(s);
  };

  return {
    xmlns: NS.sm,
    nonza(el, bound) {
      // §5: without resumption, <failed/> with feature-not-implemented, at any stage.
      if (el.is('resume', NS.sm)) {
        failed('feature-not-implemented');
        return;
      }
      // §3: enable only after resource binding; nothing else before enable.
      if (!bound || (sm === null && !el.is('enable', NS.sm)) || (sm !== null && el.is('enable', NS.sm))) {
        failed();
        return;
      }
      if (sm === null) {
        api.send(enable());
        return;
      }
      if (el.is('r', NS.sm)) {
        // §4: the answer counts every stanza received before the <r/>; those still on their way
        // to an actor are waited for (in order, without holding up other input).
        if (sm.owed.length === 0 && sm.handled >= sm.received) answer(sm);
        else {
          sm.owed.push(sm.received);
          metrics?.deferredAcks.inc();
        }
        return;
      }
      if (el.is('a', NS.sm)) {
        ack(sm, el.attr('h'));
        return;
      }
      // RFC 6120 §4.9.3.23: anything else in the namespace (or what only a server sends) is not ours to accept.
      api.streamError('unsupported-stanza-type', `<${el.name}/> is not a stream management request`);
    },
    // XEP-0198 §3 with XEP-0386 §2.3: <enable/> inside a Bind2 request, answered inside <bound/>.
    bindInline(el) {
      if (!el.is('enable', NS.sm) || sm !== null) return xml('failed', { xmlns: NS.sm }, xml('unexpected-request', { xmlns: NS.stanzas }));
      return enable();
    },
    stanzaIn() {
      const s = sm;
      if (!s) return undefined;
      const seq = ++s.received;
      return () => handled(s, seq);
    },
    stanzaOut(text, deliveryId) {
      if (!sm) return;
      sm.sent++;
      if (deliveryId !== undefined && text.startsWith('<message')) {
        sm.kept.push({ seq: sm.sent, id: deliveryId });
        askForAck(sm);
      }
    },
  };
}
