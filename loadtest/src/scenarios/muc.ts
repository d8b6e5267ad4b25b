// muc: users join rooms of --occupants (XEP-0045 §7.2), the first --senders of each room post
// groupchat messages at --msg-rate, and every other occupant should receive each one.
import type { Element } from '@parley/xml';
import { stanzaErrorCondition } from '../client/connection.ts';
import { NS, escapeXml } from '../client/xmlText.ts';
import { formatPattern } from '../run/config.ts';
import { RateScheduler, decodeBody, encodeBody, isRoomSender, nowMs, roomFanout, roomOf } from './logic.ts';
import type { Scenario, UserSlot, WorkerContext } from './scenario.ts';

type JoinResult = 'ok' | 'fail' | 'retry';

export function mucScenario(ctx: WorkerContext): Scenario {
  const { cfg } = ctx;
  const roomJid = (ord: number) => `${formatPattern(cfg.roomPattern, roomOf(ord, cfg.occupants) + 1)}@${cfg.mucDomain}`;
  const joining = new Map<number, { resolve(r: JoinResult): void; configId?: string }>();
  let senders: UserSlot[] = [];
  let ready: ReadonlySet<number> = new Set();
  const sched = new RateScheduler(0);
  let rr = 0;

  function join(u: UserSlot): Promise<JoinResult> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        joining.delete(u.ord);
        ctx.stats.error('muc-join-timeout');
        resolve('fail');
      }, cfg.timeoutMs);
      joining.set(u.ord, {
        resolve: (r) => {
          clearTimeout(timer);
          joining.delete(u.ord);
          resolve(r);
        },
      });
      // XEP-0045 §7.2.6: ask for no history so old messages are not counted as deliveries.
      u.conn!.send(
        `<presence to='${escapeXml(`${roomJid(u.ord)}/${u.username}`)}'><x xmlns='${NS.muc}'><history maxstanzas='0'/></x></presence>`,
      );
    });
  }

  return {
    connectFirst: true,
    async setup() {
      const users = ctx.local.filter((u) => u.online && u.conn);
      // A new room stays locked until its creator configures it (XEP-0045 §10.1.1): first occupants
      // join first, and anyone who still finds a locked room (another worker's) retries.
      const joinRetrying = async (u: UserSlot): Promise<boolean> => {
        for (let attempt = 0; attempt < 20; attempt++) {
          const r = await join(u);
          if (r !== 'retry') return r === 'ok';
          await new Promise((res) => setTimeout(res, 100 + attempt * 50));
        }
        ctx.stats.error('muc-join:room-locked');
        return false;
      };
      const first = users.filter((u) => u.ord % cfg.occupants === 0);
      const rest = users.filter((u) => u.ord % cfg.occupants !== 0);
      const ok = new Set<number>();
      // --join-rate paces the joins (a big room admits a few a second, and a join that waits in the
      // room's mailbox past its bound is refused); the rate is shared by the workers.
      const gapMs = cfg.joinRate > 0 ? (1000 * cfg.workers) / cfg.joinRate : 0;
      const paced = async (u: UserSlot, i: number): Promise<boolean> => {
        if (gapMs > 0 && i > 0) await new Promise((res) => setTimeout(res, i * gapMs));
        return joinRetrying(u);
      };
      for (const batch of [first, rest]) {
        const results = await Promise.all(batch.map(paced));
        batch.forEach((u, i) => {
          if (results[i]) ok.add(u.ord);
        });
      }
      return users.filter((u) => ok.has(u.ord)).map((u) => u.ord);
    },
    start(r) {
      ready = r;
      senders = ctx.local.filter((u) => r.has(u.ord) && isRoomSender(u.ord, cfg.occupants, cfg.senders));
      sched.rate = senders.length * cfg.msgRate;
    },
    onStanza(u, el: Element) {
      if (el.name === 'iq') {
        const pending = joining.get(u.ord);
        if (pending?.configId && el.attr('id') === pending.configId) {
          if (el.attr('type') !== 'result') ctx.stats.error(`muc-configure:${stanzaErrorCondition(el)}`);
          pending.resolve(el.attr('type') === 'result' ? 'ok' : 'fail');
        }
        return;
      }
      if (el.name === 'presence') {
        const pending = joining.get(u.ord);
        if (!pending) return;
        const from = el.attr('from') ?? '';
        if (!from.startsWith(`${roomJid(u.ord)}/`)) return;
        if (el.attr('type') === 'error') {
          const cond = stanzaErrorCondition(el);
          if (cond === 'item-not-found') {
            pending.resolve('retry');
            return;
          }
          ctx.stats.error(`muc-join:${cond}`);
          pending.resolve('fail');
          return;
        }
        const x = el.getChild('x', NS.mucUser);
        const codes = (x?.children ?? []).flatMap((c) =>
          typeof c !== 'string' && c.name === 'status' ? [c.attr('code')] : [],
        );
        if (!codes.includes('110')) return;
        if (codes.includes('201') && u.conn) {
          // XEP-0045 §10.1.2: accept the default configuration to unlock a newly created room.
          pending.configId = u.conn.nextId();
          u.conn.send(
            `<iq type='set' to='${escapeXml(roomJid(u.ord))}' id='${pending.configId}'><query xmlns='${NS.mucOwner}'><x xmlns='${NS.data}' type='submit'/></query></iq>`,
          );
          return;
        }
        if (!pending.configId) pending.resolve('ok');
        return;
      }
      if (el.name !== 'message') return;
      if (el.attr('type') === 'error') {
        ctx.stats.error(`message-error:${stanzaErrorCondition(el)}`);
        return;
      }
      if (el.attr('type') !== 'groupchat' || el.getChild('delay', NS.delay)) return;
      const d = decodeBody(el.getChildText('body'));
      if (d && d.sender !== u.ord) ctx.stats.receivedOne(d.sentAtMs, nowMs());
    },
    tick(now) {
      let n = sched.due(now);
      for (let tries = 0; n > 0 && tries < senders.length * 2 + n; tries++) {
        const u = senders[rr++ % senders.length]!;
        if (!u.online || !u.conn) continue;
        const t = nowMs();
        u.conn.send(
          `<message to='${escapeXml(roomJid(u.ord))}' type='groupchat' id='${u.conn.nextId()}'><body>${encodeBody(t, u.ord, cfg.msgSize)}</body></message>`,
        );
        ctx.stats.sentOne(t, roomFanout(u.ord, cfg.occupants, ready));
        n--;
      }
    },
  };
}
