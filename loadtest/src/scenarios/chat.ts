// chat: every ready user sends one-to-one messages at --msg-rate to random ready users; latency is
// measured from the timestamp in the body.
import type { Element } from '@parley/xml';
import { stanzaErrorCondition } from '../client/connection.ts';
import { escapeXml } from '../client/xmlText.ts';
import { RateScheduler, decodeBody, encodeBody, nowMs, pickRecipient } from './logic.ts';
import type { Scenario, UserSlot, WorkerContext } from './scenario.ts';

/** Above this many unsent bytes a connection is skipped: the generator, not the server, is behind. */
export const BACKPRESSURE_BYTES = 1 << 20;

export function chatScenario(ctx: WorkerContext): Scenario {
  let senders: UserSlot[] = [];
  let recipients: number[] = [];
  const sched = new RateScheduler(0);
  let rr = 0;
  return {
    connectFirst: true,
    async setup() {
      return ctx.local.filter((u) => u.online).map((u) => u.ord);
    },
    start(ready) {
      recipients = [...ready];
      senders = ctx.local.filter((u) => ready.has(u.ord));
      sched.rate = senders.length * ctx.cfg.msgRate;
    },
    onStanza(_u, el: Element) {
      if (el.name !== 'message') return;
      if (el.attr('type') === 'error') {
        ctx.stats.error(`message-error:${stanzaErrorCondition(el)}`);
        return;
      }
      const d = decodeBody(el.getChildText('body'));
      if (d) ctx.stats.receivedOne(d.sentAtMs, nowMs());
    },
    tick(now) {
      let n = sched.due(now);
      for (let tries = 0; n > 0 && tries < senders.length * 2 + n; tries++) {
        const u = senders[rr++ % senders.length]!;
        if (!u.online || !u.conn) continue;
        if (u.conn.pending() > BACKPRESSURE_BYTES) {
          ctx.stats.error('generator-backpressure');
          n--;
          continue;
        }
        const to = pickRecipient(recipients, u.ord);
        if (to === undefined) return;
        const t = nowMs();
        u.conn.send(
          `<message to='${escapeXml(ctx.bareOf(to))}' type='chat' id='${u.conn.nextId()}'><body>${encodeBody(t, u.ord, ctx.cfg.msgSize)}</body></message>`,
        );
        ctx.stats.sentOne(t, 1);
        n--;
      }
    },
  };
}
