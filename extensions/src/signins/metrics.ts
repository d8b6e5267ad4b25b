import { Counter, type Registry } from 'prom-client';

export interface SignInMetrics {
  signIns: Counter<'result' | 'mechanism'>;
  alerts: Counter<'reason' | 'delivery'>;
  sessions: Counter<'action'>;
}

/** Counters on the process's registry; without one (unit tests) they count on a private registry. */
export function signInMetrics(registry: Registry | undefined): SignInMetrics {
  const registers = registry ? [registry] : [];
  return {
    signIns: new Counter({ name: 'parley_signins_total', help: 'Sign-ins recorded in the history, by result (success, failure, refused) and SASL mechanism', labelNames: ['result', 'mechanism'], registers }),
    alerts: new Counter({ name: 'parley_signin_alerts_total', help: 'Sign-in alerts, by reason (new-address, new-client, concurrent) and delivery (live, kept for the next session)', labelNames: ['reason', 'delivery'], registers }),
    sessions: new Counter({ name: 'parley_signin_sessions_total', help: 'Sessions refused, replaced or closed for idleness by the sign-in policies', labelNames: ['action'], registers }),
  };
}
