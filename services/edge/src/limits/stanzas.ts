// Stanza limits at the edge's admission stage (before `admit`): per connection, per account over
// all its connections (cluster-wide when a shared limiter is given), subscription requests and
// roster/profile writes per account. A refused stanza is answered with an error of type wait
// (RFC 6120 §8.3.3.12 policy-violation, §8.3.3.18 resource-constraint) and never reaches an actor.
import type { Logger } from '@parley/log';
import { MemoryRateLimiter, type RateLimiter, type Rule, type Verdict } from '@parley/ratelimit';
import { mayReplyWithError, type StanzaErrorCondition, stanzaErrorReply } from '@parley/stanza';
import type { Element } from '@parley/xml';
import type { Admission } from '../c2s/admission.ts';
import type { C2SConnection } from '../c2s/connection.ts';
import type { LimitMetrics, LimitName } from './metrics.ts';

export interface StanzaRules {
  connection: Rule;
  account: Rule;
  subscriptions: Rule;
  rosterWrites: Rule;
}

/** Writes that hit the database (roster, profile, private storage): the "profile-update flood" of REQUIREMENTS.md. */
const WRITE_NAMESPACES = new Set(['jabber:iq:roster', 'vcard-temp', 'urn:ietf:params:xml:ns:vcard-4.0', 'jabber:iq:private']);

/**
 * An account's bucket: checked here at once, and in cluster mode also charged to the shared
 * (Redis) bucket in batches; when the shared bucket refuses, this edge refuses the account's
 * stanzas for the time Redis named. No Redis round trip sits on a stanza's path.
 */
class AccountBuckets {
  private readonly local = new MemoryRateLimiter();
  private readonly pending = new Map<string, { rule: Rule; cost: number }>();
  private readonly blockedUntil = new Map<string, number>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly shared: RateLimiter | null,
    private readonly log: Logger,
  ) {}

  take(key: string, rule: Rule): Verdict {
    const until = this.blockedUntil.get(key);
    if (until !== undefined) {
      const left = until - Date.now();
      if (left > 0) return { ok: false, retryAfterMs: left };
      this.blockedUntil.delete(key);
    }
    const v = this.local.takeNow(key, rule);
    if (v.ok && this.shared) this.charge(key, rule);
    return v;
  }

  private charge(key: string, rule: Rule): void {
    const p = this.pending.get(key);
    if (p) p.cost += 1;
    else this.pending.set(key, { rule, cost: 1 });
    if (!this.timer) {
      this.timer = setTimeout(() => this.flush(), 50);
      this.timer.unref();
    }
  }

  private flush(): void {
    this.timer = null;
    const batch = [...this.pending];
    this.pending.clear();
    for (const [key, { rule, cost }] of batch) {
      this.shared!.take(key, rule, Math.min(cost, rule.burst)).then(
        (v) => {
          if (!v.ok) this.blockedUntil.set(key, Date.now() + v.retryAfterMs);
        },
        (err) => this.log.warn('shared rate limit unavailable', { err: (err as Error).message }),
      );
    }
  }
}

interface ConnState {
  /** Stanzas refused in a row: a client that ignores its errors is disconnected. */
  streak: number;
}

export class StanzaLimits {
  private readonly perConnection = new MemoryRateLimiter();
  private readonly accounts: AccountBuckets;
  private readonly conns = new WeakMap<C2SConnection, ConnState>();
  private readonly maxStreak: number;

  constructor(
    private readonly rules: StanzaRules,
    private readonly metrics: LimitMetrics,
    shared: RateLimiter | null,
    log: Logger,
  ) {
    this.accounts = new AccountBuckets(shared, log);
    this.maxStreak = Math.max(200, rules.connection.burst * 2);
  }

  /** null: go on with admission; otherwise what to answer. */
  check(conn: C2SConnection, el: Element): Admission | null {
    let st = this.conns.get(conn);
    if (!st) {
      st = { streak: 0 };
      this.conns.set(conn, st);
    }
    const account = conn.jid!.bareString();
    const refusal =
      this.over(this.perConnection.takeNow(conn.id, this.rules.connection), 'connection-stanzas', 'policy-violation', 'too many stanzas from this connection, slow down') ??
      this.over(this.accounts.take(`acct:${account}`, this.rules.account), 'account-stanzas', 'policy-violation', 'too many stanzas from this account, slow down') ??
      this.special(el, account);
    if (!refusal) {
      st.streak = 0;
      return null;
    }
    // A client that keeps sending into its errors is flooding: RFC 6120 §4.9.3.18 policy-violation closes the stream.
    if (++st.streak > this.maxStreak) {
      this.metrics.refused('flood-disconnect');
      return { kind: 'stream-error', condition: 'policy-violation', text: 'flooding' };
    }
    if (!mayReplyWithError(el)) return { kind: 'drop' };
    return { kind: 'reply', reply: stanzaErrorReply(el, refusal.condition, { type: 'wait', text: refusal.text, from: el.attr('to') ?? conn.ctx.config.domain }) };
  }

  private special(el: Element, account: string): Refusal | null {
    if (el.name === 'presence' && el.attr('type') === 'subscribe') {
      return this.over(this.accounts.take(`subs:${account}`, this.rules.subscriptions), 'subscriptions', 'policy-violation', 'too many subscription requests, try again later');
    }
    if (el.name === 'iq' && el.attr('type') === 'set') {
      const ns = el.getChildElements()[0]?.getNS();
      if (ns !== undefined && WRITE_NAMESPACES.has(ns)) {
        return this.over(this.accounts.take(`writes:${account}`, this.rules.rosterWrites), 'roster-writes', 'resource-constraint', 'too many roster or profile changes, try again later');
      }
    }
    return null;
  }

  private over(v: Verdict, limit: LimitName, condition: StanzaErrorCondition, text: string): Refusal | null {
    if (v.ok) return null;
    this.metrics.refused(limit);
    return { condition, text: `${text} (retry in ${Math.ceil(v.retryAfterMs / 1000)} s)` };
  }
}

interface Refusal {
  condition: StanzaErrorCondition;
  text: string;
}
