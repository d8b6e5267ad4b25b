// flood: the chat scenario for everyone but the first --flooders users, who send one-to-one
// messages as fast as their connection takes them. Only the other users' messages are measured:
// their latency percentiles, with --flooders 0 and with --flooders 1, give the flood-isolation
// ratio of docs/benchmarks.md (target: p99 rises at most 1.5×).
import type { Element } from '@parley/xml';
import { stanzaErrorCondition } from '../client/connection.ts';
import { escapeXml } from '../client/xmlText.ts';
import { chatScenario } from './chat.ts';
import { decodeBody, encodeBody, nowMs, pickRecipient } from './logic.ts';
import type { Scenario, UserSlot, WorkerContext } from './scenario.ts';

/** A flooder keeps this many bytes queued on its socket: as fast as the server reads. */
const FLOOD_QUEUE_BYTES = 256 * 1024;
/** At most this many messages per flooder per tick, so the generator itself stays responsive. */
const FLOOD_PER_TICK = 2000;

export function floodScenario(ctx: WorkerContext): Scenario {
  const flooders = ctx.local.filter((u) => u.ord < ctx.cfg.flooders);
  // Normal users are the chat scenario's senders, and only they are recipients of anyone.
  const normal = { ...ctx, local: ctx.local.filter((u) => u.ord >= ctx.cfg.flooders) };
  const chat = chatScenario(normal);
  let recipients: number[] = [];
  let floodErrors = 0;
  const isFlooder = (u: UserSlot) => u.ord < ctx.cfg.flooders;
  return {
    connectFirst: true,
    async setup(online) {
      return [...(await chat.setup(online)), ...flooders.filter((u) => u.online).map((u) => u.ord)];
    },
    start(ready) {
      recipients = [...ready].filter((o) => o >= ctx.cfg.flooders);
      chat.start(new Set(recipients));
    },
    onStanza(u, el: Element) {
      if (isFlooder(u)) {
        if (el.name === 'message' && el.attr('type') === 'error') {
          floodErrors++;
          if (floodErrors === 1) ctx.stats.error(`flood-refused:${stanzaErrorCondition(el)}`);
        }
        return;
      }
      if (el.name === 'message' && el.attr('type') !== 'error') {
        const d = decodeBody(el.getChildText('body'));
        if (d && d.sender < ctx.cfg.flooders) return; // flood traffic is not measured
      }
      chat.onStanza(u, el);
    },
    tick(now) {
      chat.tick(now);
      for (const u of flooders) {
        if (!u.online || !u.conn) continue;
        for (let i = 0; i < FLOOD_PER_TICK && u.conn.pending() < FLOOD_QUEUE_BYTES; i++) {
          const to = pickRecipient(recipients, u.ord);
          if (to === undefined) break;
          u.conn.send(
            `<message to='${escapeXml(ctx.bareOf(to))}' type='chat' id='${u.conn.nextId()}'><body>${encodeBody(nowMs(), u.ord, ctx.cfg.msgSize)}</body></message>`,
          );
        }
      }
    },
  };
}
