// presence: users first subscribe to R ring neighbours (both ways), then change status at
// --msg-rate; each change should reach every ready contact. Latency comes from the status text.
import type { Element } from '@parley/xml';
import { NS, escapeXml } from '../client/xmlText.ts';
import { RateScheduler, decodeBody, encodeBody, nowMs, presenceFanout, ringContacts } from './logic.ts';
import type { Scenario, UserSlot, WorkerContext } from './scenario.ts';

function bareOfJid(jid: string | undefined): string {
  if (!jid) return '';
  const slash = jid.indexOf('/');
  return slash < 0 ? jid : jid.slice(0, slash);
}

export function presenceScenario(ctx: WorkerContext): Scenario {
  const { cfg } = ctx;
  const contacts = new Map<number, number[]>();
  /** During setup: contacts (by bare JID) whose approval a local user still waits for. */
  const awaiting = new Map<number, Set<string>>();
  let onSetupProgress: (() => void) | undefined;
  let senders: UserSlot[] = [];
  let ready: ReadonlySet<number> = new Set();
  const sched = new RateScheduler(0);
  let rr = 0;
  let shown = false;

  function contactsOf(ord: number): number[] {
    let c = contacts.get(ord);
    if (!c) {
      c = ringContacts(ord, cfg.users, cfg.rosterSize);
      contacts.set(ord, c);
    }
    return c;
  }

  return {
    connectFirst: true,
    async setup(online) {
      for (const u of ctx.local) {
        if (!u.online || !u.conn) continue;
        const have = new Set<string>();
        for (const item of u.conn.roster?.getChild('query', NS.roster)?.children ?? []) {
          if (typeof item !== 'string' && item.attr('subscription') === 'both') have.add(item.attr('jid') ?? '');
        }
        const want = new Set<string>();
        for (const c of contactsOf(u.ord)) {
          const bare = ctx.bareOf(c);
          if (!online.has(c) || have.has(bare)) continue;
          want.add(bare);
          // RFC 6121 §3.1.1: a subscription request; the contact's client approves it below.
          u.conn.send(`<presence to='${escapeXml(bare)}' type='subscribe'/>`);
        }
        if (want.size) awaiting.set(u.ord, want);
      }
      const deadline = Date.now() + cfg.timeoutMs;
      while (awaiting.size > 0 && Date.now() < deadline) {
        await new Promise<void>((resolve) => {
          onSetupProgress = resolve;
          setTimeout(resolve, 200);
        });
      }
      const failed = new Set(awaiting.keys());
      for (let i = 0; i < failed.size; i++) ctx.stats.error('presence-subscription-timeout');
      awaiting.clear();
      return ctx.local.filter((u) => u.online && !failed.has(u.ord)).map((u) => u.ord);
    },
    start(r) {
      ready = r;
      senders = ctx.local.filter((u) => r.has(u.ord));
      sched.rate = senders.length * cfg.msgRate;
    },
    onStanza(u, el: Element) {
      if (el.name === 'iq' && el.attr('type') === 'set' && el.getChild('query', NS.roster)) return; // pushes are answered by the worker
      if (el.name !== 'presence') return;
      const type = el.attr('type');
      const from = bareOfJid(el.attr('from'));
      if (type === 'subscribe') {
        u.conn?.send(`<presence to='${escapeXml(from)}' type='subscribed'/>`);
        return;
      }
      if (type === 'subscribed') {
        const w = awaiting.get(u.ord);
        if (w?.delete(from) && w.size === 0) {
          awaiting.delete(u.ord);
          if (awaiting.size === 0) onSetupProgress?.();
        }
        return;
      }
      if (type === 'error') {
        ctx.stats.error('presence-error');
        return;
      }
      if (type !== undefined && type !== 'available') return;
      if (from === u.bare) return; // our own broadcast reflected to us (RFC 6121 §4.2.2)
      const d = decodeBody(el.getChildText('status'));
      if (d && ready.size) ctx.stats.receivedOne(d.sentAtMs, nowMs());
    },
    tick(now) {
      let n = sched.due(now);
      for (let tries = 0; n > 0 && tries < senders.length * 2 + n; tries++) {
        const u = senders[rr++ % senders.length]!;
        if (!u.online || !u.conn) continue;
        const t = nowMs();
        shown = !shown;
        u.conn.send(`<presence>${shown ? '<show>away</show>' : ''}<status>${encodeBody(t, u.ord, cfg.msgSize)}</status></presence>`);
        ctx.stats.sentOne(t, presenceFanout(contactsOf(u.ord), ready));
        n--;
      }
    },
  };
}
