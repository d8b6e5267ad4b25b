// XEP-0198 on one client connection: enable, acknowledgement requests and answers (§4), the
// deliveries kept until the client acknowledges them, and resumption (§5) on any edge: the stream's
// record, its outbox and the positions its deliveries were written at live in the location service
// (Redis in a cluster), so another edge can take the session over when this one is gone.
import { randomBytes } from 'node:crypto';
import type { ConnectionHooks, StreamApi } from '@parley/ext';
import { bareOf, parseJid } from '@parley/jid';
import { NS } from '@parley/stanza';
import { type Element, xml } from '@parley/xml';
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
  /** §5: the resumption id when the stream is resumable, and its window in ms. */
  id: string | null;
  windowMs: number;
}

export interface SmOptions {
  /** §5 resumption window in ms; 0 disables resumption. */
  resumeMs: number;
  metrics: SmMetrics | null;
}

/** What another negotiation (SASL2/Bind2, XEP-0386) can ask of stream management on a connection. */
export interface SmConnectionHooks extends ConnectionHooks {
  /** §3: enable (after binding); returns `<enabled/>` or `<failed/>` without sending it. */
  enableSm(resume: boolean, max?: number): Element;
  /**
   * §5: resume the stream `previd` on this authenticated, unbound connection. `send` writes the
   * `<resumed/>` (or `<failed/>`) answer; the unacknowledged stanzas follow it. Resolves the answer.
   */
  resumeSm(previd: string, h: number, send: (el: Element) => void): Promise<Element>;
}

/** A resumption checked and the session moved here (or refused): write `answer`, then call `finish`. */
interface PreparedResume {
  answer: Element;
  resumed: boolean;
  finish(): void;
}

/** How long deliveries are batched before we ask the client to acknowledge them. */
const ASK_DELAY_MS = 100;
/** A resumable stream's record outlives an attached connection this long without a stanza (refreshed by each). */
const RECORD_TTL_MS = 86_400_000;
/** How long a connection that ends waits for its stanzas still on their way to actors before it detaches. */
const SETTLE_MS = 3000;

const failedEl = (condition: string, h?: number) =>
  xml('failed', h === undefined ? { xmlns: NS.sm } : { xmlns: NS.sm, h: String(h % 2 ** 32) }, xml(condition, { xmlns: NS.stanzas }));

export function smConnection(api: StreamApi, metricsOrOpts: SmMetrics | null | SmOptions): SmConnectionHooks {
  const opts: SmOptions = metricsOrOpts && 'resumeMs' in metricsOrOpts ? metricsOrOpts : { resumeMs: 0, metrics: metricsOrOpts };
  const { metrics } = opts;
  let sm: SmState | null = null;
  const failed = (condition = 'unexpected-request') => api.send(failedEl(condition));
  const answer = (s: SmState) => api.send(xml('a', { xmlns: NS.sm, h: String(s.handled % 2 ** 32) }));
  const fresh = (): SmState => ({ received: 0, handled: 0, done: new Set(), sent: 0, acked: 0, kept: [], asking: false, owed: [], id: null, windowMs: 0 });

  /** The handled count reaches the stream's record (coalesced per tick), for a resumption elsewhere. */
  let persisting = false;
  const persist = (s: SmState) => {
    if (persisting || s.id === null) return;
    persisting = true;
    setImmediate(() => {
      persisting = false;
      if (sm !== s || s.id === null) return;
      api.location.smHandled(s.id, api.id, s.handled, RECORD_TTL_MS).catch((err: Error) => api.log.warn('stream record update failed', { err: err.message }));
    });
  };

  /** Positions kept deliveries were written at (coalesced per job): a resumption resends only what the client's h does not cover. */
  let marks: Array<[string, number]> | null = null;
  const mark = (id: string, seq: number) => {
    if (marks) {
      marks.push([id, seq]);
      return;
    }
    marks = [[id, seq]];
    queueMicrotask(() => {
      const m = marks!;
      marks = null;
      api.location.outboxSent(api.id, m).catch((err: Error) => api.log.warn('outbox positions not recorded', { err: err.message }));
    });
  };

  /**
   * A stanza counts as handled once its owning actor accepted it (or it was answered at the edge),
   * so `<a h/>` never acknowledges a stanza the server could still lose (ARCHITECTURE.md, Actors).
   */
  let settledWaiters: Array<() => void> = [];
  const handled = (s: SmState, seq: number) => {
    s.done.add(seq);
    const before = s.handled;
    while (s.done.delete(s.handled + 1)) s.handled++;
    while (s.owed.length && s.owed[0]! <= s.handled) {
      s.owed.shift();
      answer(s);
    }
    if (s.handled !== before) persist(s);
    if (s.handled >= s.received && settledWaiters.length) {
      const w = settledWaiters;
      settledWaiters = [];
      for (const f of w) f();
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

  const enableSm = (resume: boolean, max?: number): Element => {
    if (sm !== null || api.jid() === null) return failedEl('unexpected-request');
    const s = fresh();
    sm = s;
    metrics?.enabled.inc();
    // From now on the session actors keep this connection's deliveries until acknowledged.
    if (!resume || opts.resumeMs <= 0) {
      api.patchEntry({ sm: true });
      return xml('enabled', { xmlns: NS.sm });
    }
    // §5: the client may ask for a shorter window (`max`, seconds); never longer than configured.
    s.windowMs = max !== undefined && max > 0 ? Math.min(max * 1000, opts.resumeMs) : opts.resumeMs;
    s.id = randomBytes(18).toString('base64url');
    api.patchEntry({ sm: true, resumable: s.windowMs });
    api.location.smSave(s.id, { jid: api.jid()!.toString(), conn: api.id, h: 0 }, RECORD_TTL_MS).catch((err: Error) => api.log.warn('stream record not saved', { err: err.message }));
    // §5: no `location`: every edge can resume the stream, so the client reconnects as usual.
    return xml('enabled', { xmlns: NS.sm, id: s.id, resume: 'true', max: String(Math.ceil(s.windowMs / 1000)) });
  };

  /**
   * §5: the asynchronous half of resuming `previd` (checks, the session moved here, deliveries held).
   * The answer is to be written first, then `finish` (synchronously): the unacknowledged stanzas, in
   * order, and the stream opened. Plain <resume/> writes the answer as a nonza, SASL2 inside <success/>.
   */
  const refuseResume = (condition: string, known?: number): PreparedResume => {
    metrics?.resumeFailed.inc();
    return { answer: failedEl(condition, known), resumed: false, finish: () => {} };
  };
  /** The refusals known without asking the location service (answered synchronously). */
  const cannotResume = (): PreparedResume | null => {
    if (opts.resumeMs <= 0) return refuseResume('feature-not-implemented');
    if (sm !== null || api.jid() !== null) return refuseResume('unexpected-request');
    return null;
  };
  const prepareResume = async (previd: string, h: number): Promise<PreparedResume> => {
    const refuse = refuseResume;
    const early = cannotResume();
    if (early) return early;
    const account = api.account();
    const rec = await api.location.smGet(previd);
    // §5: an unknown id, or another account's, is item-not-found (no hint that it exists).
    if (!rec || account === null || bareOf(rec.jid) !== account) return refuse('item-not-found');
    const attached = api.attach(parseJid(rec.jid));
    let moved: Awaited<ReturnType<typeof api.location.resume>>;
    try {
      moved = await api.location.resume(rec.jid, rec.conn, { edge: api.edgeId, conn: api.id }, previd);
    } catch (err) {
      attached.cancel();
      api.log.warn('resumption failed', { err: (err as Error).message });
      return refuse('internal-server-error', rec.h);
    }
    // The session expired (its queue went to offline storage) or another connection took it: §5 item-not-found, with h.
    if (!moved) {
      attached.cancel();
      return refuse('item-not-found', rec.h);
    }
    // §5: a stream still open elsewhere (its client lost it without the server noticing) is closed;
    // it finds the session taken and leaves without announcing it gone.
    if (moved.previous.detached === undefined) api.kick(moved.previous, 'conflict', 'the session was resumed on another connection');
    const s = fresh();
    const serverH = Math.max(moved.record?.h ?? 0, rec.h);
    s.received = s.handled = serverH;
    s.sent = s.acked = h;
    s.id = previd;
    s.windowMs = moved.entry.resumable ?? opts.resumeMs;
    sm = s;
    // §5: what the client's h covers is acknowledged; what it does not (or was never written) is sent again, in order.
    const covered = moved.outbox.filter((o) => o.seq !== undefined && o.seq <= h).map((o) => o.id);
    if (covered.length) api.acknowledged(covered);
    const { outbox, entry, previous } = moved;
    return {
      answer: xml('resumed', { xmlns: NS.sm, previd, h: String(serverH % 2 ** 32) }),
      resumed: true,
      finish: () => {
        for (const o of outbox) if (o.seq === undefined || o.seq > h) api.resend(o.xml, o.id);
        attached.open(entry);
        metrics?.resumed.inc();
        api.log.info('stream resumed', { jid: rec.jid, from: previous.edge, resent: outbox.length - covered.length });
      },
    };
  };

  const resumeSm = async (previd: string, h: number, send: (el: Element) => void): Promise<Element> => {
    const r = cannotResume() ?? (await prepareResume(previd, h));
    send(r.answer);
    r.finish();
    return r.answer;
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

  /** Wait (bounded) for stanzas still on their way to actors, so the saved h counts them. */
  const settle = (s: SmState) =>
    s.handled >= s.received
      ? Promise.resolve()
      : new Promise<void>((resolve) => {
          const t = setTimeout(resolve, SETTLE_MS);
          settledWaiters.push(() => {
            clearTimeout(t);
            resolve();
          });
        });

  /** §5: the connection is gone but the session waits for its client for the window; then it ends. */
  const detach = async (s: SmState, clean: boolean): Promise<boolean> => {
    const id = s.id!;
    const jid = api.jid()!.toString();
    const rec = await api.location.smGet(id);
    // Taken over by a resumption: the new connection owns the session now.
    if (rec && rec.conn !== api.id) return true;
    // §5: a stream the client closed itself is over, not resumable.
    if (clean) {
      await api.location.smDrop(id);
      return false;
    }
    await settle(s);
    await api.location.smHandled(id, api.id, s.handled, s.windowMs + 60_000);
    if (!(await api.location.detach(jid, api.id, Date.now() + s.windowMs))) {
      const now = await api.location.smGet(id);
      return now !== null && now.conn !== api.id;
    }
    metrics?.detached.inc();
    api.log.info('session detached for resumption', { jid, windowSec: s.windowMs / 1000 });
    // Whichever process looks first ends it (the cluster's reaper also does): its queue goes to
    // offline storage and contacts see it leave.
    setTimeout(() => {
      api.location.expireDetached().then(
        (gone) => {
          if (gone.length) {
            metrics?.expired.inc(gone.length);
            api.sessionsGone(gone);
          }
        },
        (err: Error) => api.log.warn('expiring detached sessions failed', { err: err.message }),
      );
    }, s.windowMs + 50).unref();
    return true;
  };

  return {
    xmlns: NS.sm,
    enableSm,
    resumeSm,
    nonza(el, bound) {
      if (el.is('resume', NS.sm)) {
        // §5: resume comes after authentication and instead of binding.
        if (bound) {
          failed(opts.resumeMs > 0 ? 'unexpected-request' : 'feature-not-implemented');
          return;
        }
        const h = Number(el.attr('h'));
        const previd = el.attr('previd');
        if (!previd || !Number.isInteger(h) || h < 0) {
          api.send(failedEl('bad-request'));
          return;
        }
        const release = api.holdInput();
        resumeSm(previd, h, (answer) => api.send(answer))
          .catch((err: Error) => api.log.error('resumption failed', { err: err.message }))
          .finally(release);
        return;
      }
      // §3: enable only after resource binding; nothing else before enable.
      if (!bound || (sm === null && !el.is('enable', NS.sm)) || (sm !== null && el.is('enable', NS.sm))) {
        failed();
        return;
      }
      if (sm === null) {
        const resume = el.attr('resume') === 'true' || el.attr('resume') === '1';
        const max = el.attr('max') !== undefined ? Number(el.attr('max')) : undefined;
        api.send(enableSm(resume, Number.isFinite(max) ? max : undefined));
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
    // The session actor keeps a delivery in the outbox before it publishes it, so what the bus lost
    // (the edge's subscription was gone, or the server died with it in flight) is still there,
    // never written to this stream (no position): written now, once per id. It may overtake later
    // deliveries; XEP-0198 leaves undelivered stanzas to the server (decision 0022).
    async deliveriesMayBeLost() {
      if (sm === null || api.isClosed()) return 0;
      let n = 0;
      for (const o of await api.location.outboxPending(api.id)) if (o.seq === undefined && api.resend(o.xml, o.id)) n++;
      return n;
    },
    // XEP-0198 §3 with XEP-0386 §2.3: <enable/> inside a Bind2 request, answered inside <bound/>.
    bindInline(el) {
      if (!el.is('enable', NS.sm) || sm !== null) return xml('failed', { xmlns: NS.sm }, xml('unexpected-request', { xmlns: NS.stanzas }));
      const max = el.attr('max') !== undefined ? Number(el.attr('max')) : undefined;
      return enableSm(el.attr('resume') === 'true' || el.attr('resume') === '1', Number.isFinite(max) ? max : undefined);
    },
    // XEP-0198 §5 with XEP-0388 §2.3: <resume/> inside SASL2 <authenticate/>, answered inside
    // <success/>; a resumed session replaces Bind2, a <failed/> one lets the client's Bind2 request proceed.
    async sasl2Inline(el) {
      if (!el.is('resume', NS.sm)) return { element: null, session: false };
      const h = Number(el.attr('h'));
      const previd = el.attr('previd');
      if (!previd || !Number.isInteger(h) || h < 0) {
        metrics?.resumeFailed.inc();
        return { element: failedEl('bad-request'), session: false };
      }
      let r: PreparedResume;
      try {
        r = await prepareResume(previd, h);
      } catch (err) {
        // The stream record could not be read: the login still succeeds, the client binds afresh.
        api.log.warn('resumption failed', { err: (err as Error).message });
        r = refuseResume('internal-server-error');
      }
      return { element: r.answer, session: r.resumed, after: r.finish };
    },
    stanzaIn() {
      const s = sm;
      if (!s) return undefined;
      const seq = ++s.received;
      return () => handled(s, seq);
    },
    handOffId() {
      // §5: a resumed client resends what it saw unacknowledged under the same position, so the
      // actor recognises a stanza it handled before the old connection could say so.
      return sm?.id ? `${sm.id}:${sm.received}` : undefined;
    },
    stanzaOut(text, deliveryId) {
      if (!sm) return;
      sm.sent++;
      if (deliveryId !== undefined && text.startsWith('<message')) {
        sm.kept.push({ seq: sm.sent, id: deliveryId });
        if (sm.id) mark(deliveryId, sm.sent);
        askForAck(sm);
      }
    },
    ended(clean) {
      const s = sm;
      if (!s?.id) return undefined;
      return detach(s, clean);
    },
  };
}
