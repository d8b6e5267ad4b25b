// The edge half: each sign-in is recorded (failures too), the multi-login policy is applied when a
// resource binds, alerts go to the account's other sessions or wait for its next one, and an idle
// session is closed. Everything here runs per connection, in embedded and cluster mode alike.
import { randomUUID } from 'node:crypto';
import { BIND_OK, type BindVerdict, type ConnectionHooks, type SignIn, type StreamApi } from '@parley/ext';
import type { Jid } from '@parley/jid';
import type { ResourceEntry } from '@parley/location';
import { type Element, xml } from '@parley/xml';
import type { SignInMetrics } from './metrics.ts';
import { clientKey, type Novelty, novelty } from './novelty.ts';
import { effectivePolicy, type Policy, type ServerDefaults } from './policy.ts';

export interface EdgeOptions {
  domain: string;
  defaults: ServerDefaults;
  alerts: boolean;
  /** Alerts kept per account for its next session (older ones are dropped). */
  keptAlerts: number;
  metrics: SignInMetrics;
  now(): Date;
}

const REFUSED_TEXT = 'this account allows one session at a time and another one is online';

export function signInConnection(api: StreamApi, opts: EdgeOptions): ConnectionHooks {
  const history = api.store.loginHistory;
  let policy: Policy | null = null;
  let idle: IdleTimer | null = null;

  async function policyOf(jid: Jid, user: string): Promise<Policy> {
    try {
      return effectivePolicy(await history.settings(user, jid.domain), opts.defaults);
    } catch (err) {
      api.log.warn('sign-in settings unavailable, using the server defaults', { err: (err as Error).message });
      return { ...opts.defaults };
    }
  }

  /** The account's other sessions: every connection but this one and a resource this bind replaces anyway. */
  async function others(jid: Jid): Promise<ResourceEntry[]> {
    const all = await api.location.resources(jid.bareString());
    // A detached XEP-0198 session has no connection; it is not a concurrent sign-in.
    return all.filter((e) => e.conn !== api.id && e.jid !== jid.toString() && e.detached === undefined);
  }

  function record(jid: Jid | null, user: string, domain: string, s: { mechanism: string; client: string | null; clientKey: string | null; success: boolean; reason: string | null; resource: string | null }, result: string): void {
    opts.metrics.signIns.inc({ result, mechanism: s.mechanism || 'none' });
    history
      .record(user, domain, { ip: api.remoteAddress, client: s.client, resource: s.resource, mechanism: s.mechanism, success: s.success, reason: s.reason, clientKey: s.clientKey })
      .catch((err: Error) => api.log.warn('could not record a sign-in', { err: err.message, jid: jid?.toString() }));
  }

  /** RFC 6121 §5.2.2: a headline is shown, not stored in offline storage or answered. */
  function headline(to: string, body: string): void {
    const bare = to.split('/')[0] ?? to;
    const stanza = xml('message', { type: 'headline', from: opts.domain, to, id: randomUUID() }, xml('subject', null, 'Sign-in alert'), xml('body', null, body));
    // Through the account's session actor, so it is delivered like any message (stream management, CSI).
    api.tell('session', { kind: 'stanza', key: bare, stanza });
  }

  async function afterBind(jid: Jid, s: SignIn): Promise<void> {
    const current = policy ?? (await policyOf(jid, s.user));
    const key = clientKey(s.userAgent);
    const [known, online] = await Promise.all([history.known(s.user, jid.domain), others(jid)]);
    const isNew: Novelty = novelty(known, api.remoteAddress, key);
    record(jid, s.user, jid.domain, { ...s, clientKey: key, success: true, reason: null, resource: jid.resource ?? null }, 'success');

    // Alerts kept from earlier sign-ins while no session was online: this is the next session.
    for (const body of await history.takeAlerts(s.user, jid.domain)) headline(jid.toString(), body);

    const client = s.client ?? `resource ${jid.resource ?? ''}`;
    const when = opts.now().toISOString().replace(/\.\d{3}Z$/, 'Z');
    let live = online;
    if (online.length > 0 && current.multiLogin === 'replace') {
      // RFC 6120 §4.9.3.3: the older session is closed with <conflict/>; the new one goes on.
      for (const e of online) api.kick(e, 'conflict', 'replaced by a new sign-in to this account');
      opts.metrics.sessions.inc({ action: 'replaced' }, online.length);
      live = [];
    } else if (online.length > 0 && current.multiLogin === 'alert') {
      for (const e of online) headline(e.jid, `Another session of your account started from ${api.remoteAddress} using ${client} at ${when}`);
      opts.metrics.alerts.inc({ reason: 'concurrent', delivery: 'live' });
    }
    if (opts.alerts && (isNew.address || isNew.client)) {
      const body = `New sign-in from ${api.remoteAddress} using ${client} at ${when}`;
      const reason = isNew.address ? 'new-address' : 'new-client';
      if (live.length > 0) {
        for (const e of live) headline(e.jid, body);
        opts.metrics.alerts.inc({ reason, delivery: 'live' });
      } else {
        await history.keepAlert(s.user, jid.domain, body, opts.keptAlerts);
        opts.metrics.alerts.inc({ reason, delivery: 'kept' });
      }
    }
  }

  return {
    authFailed(f) {
      if (f.user === null) return; // nothing names an account to file it under
      record(null, f.user, opts.domain, { mechanism: f.mechanism, client: null, clientKey: clientKey(f.userAgent), success: false, reason: f.reason, resource: null }, 'failure');
    },

    async binding(jid, s): Promise<BindVerdict> {
      policy = await policyOf(jid, s.user);
      if (policy.multiLogin !== 'refuse') return BIND_OK;
      const online = await others(jid).catch((err: Error) => {
        // The location service is unreachable: sign-in goes on rather than every login failing.
        api.log.warn('multi-login policy not applied: sessions unknown', { err: err.message, jid: jid.toString() });
        return [];
      });
      if (online.length === 0) return BIND_OK;
      opts.metrics.sessions.inc({ action: 'refused' });
      record(jid, s.user, jid.domain, { ...s, clientKey: clientKey(s.userAgent), success: false, reason: 'refused: another session is online (multi-login policy refuse)', resource: jid.resource ?? null }, 'refused');
      // RFC 6120 §7.6.2.1: "the account has reached a limit on the number of simultaneous connected resources".
      return { ok: false, condition: 'resource-constraint', text: REFUSED_TEXT };
    },

    bound(jid, s) {
      afterBind(jid, s).catch((err: Error) => api.log.warn('sign-in alerts failed', { err: err.message, jid: jid.toString() }));
      const seconds = policy?.idleTimeoutSec ?? opts.defaults.idleTimeoutSec;
      if (seconds > 0) {
        idle = new IdleTimer(seconds * 1000, () => {
          opts.metrics.sessions.inc({ action: 'idle' });
          // RFC 6120 §4.9.3.4 connection-timeout: no traffic (here: no stanza) for the configured time.
          api.streamError('connection-timeout', `no activity for ${seconds} s: the session was closed`);
        });
      }
    },

    received(el) {
      if (idle && !isKeepalive(el, api)) idle.touch();
    },

    closed() {
      idle?.stop();
    },
  };
}

/**
 * What is not activity: a XEP-0199 §4.2 ping to the server is a client's keepalive. (Whitespace and
 * XEP-0198 <r/>/<a/> never reach `received`: they are not stanzas.)
 */
function isKeepalive(el: Element, api: StreamApi): boolean {
  if (el.name !== 'iq' || el.attr('type') !== 'get' || !el.getChild('ping', 'urn:xmpp:ping')) return false;
  const to = el.attr('to');
  return to === undefined || to === api.jid()?.domain;
}

/** One timer per session, re-armed lazily: touching only moves a timestamp (the hot path). */
class IdleTimer {
  private last = Date.now();
  private timer: NodeJS.Timeout;

  constructor(
    private readonly ms: number,
    private readonly fire: () => void,
  ) {
    this.timer = this.arm(ms);
  }

  touch(): void {
    this.last = Date.now();
  }

  stop(): void {
    clearTimeout(this.timer);
  }

  private arm(ms: number): NodeJS.Timeout {
    const t = setTimeout(() => {
      const silent = Date.now() - this.last;
      if (silent >= this.ms) this.fire();
      else this.timer = this.arm(this.ms - silent);
    }, ms);
    t.unref();
    return t;
  }
}
