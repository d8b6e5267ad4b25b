// Sign-in history and alerts (REQUIREMENTS.md, Account takeover; issue 9 item 6): every sign-in
// recorded and kept for a while, read by the user (XEP-0050 command) and admins (parley user
// history); a headline (RFC 6121 §5.2.2) on a sign-in from a new network or client; a multi-login
// policy; idle sessions closed. The edge half is per connection (edge.ts); the session half holds
// the commands and the retention sweep.
import type { ExtensionModule } from '@parley/ext';
import type { Registry } from 'prom-client';
import type { CommandRegistry } from '../adhoc/index.ts';
import { registerCommands } from './commands.ts';
import { signInConnection } from './edge.ts';
import { signInMetrics } from './metrics.ts';
import type { MultiLogin } from './policy.ts';

export { HISTORY_NODE, historyCells, parseSettings, SETTINGS_NODE } from './commands.ts';
export { addressPrefix, novelty } from './novelty.ts';
export { isMultiLogin, MULTI_LOGIN, type MultiLogin } from './policy.ts';

export interface SignInOptions {
  commands: CommandRegistry;
  domain: string;
  /** Days a sign-in is kept (PARLEY_SIGNIN_HISTORY_DAYS). */
  historyDays: number;
  /** Sign-ins shown by the history command (PARLEY_SIGNIN_HISTORY_SHOWN). */
  historyShown: number;
  alerts: boolean;
  multiLogin: MultiLogin;
  idleTimeoutSec: number;
  registry?: Registry;
  sweepEveryMs?: number;
  now?: () => Date;
}

/** Alerts kept for an account's next session; a flood of sign-ins keeps only the newest. */
const KEPT_ALERTS = 20;

export function signIns(opts: SignInOptions): ExtensionModule {
  const metrics = signInMetrics(opts.registry);
  const defaults = { multiLogin: opts.multiLogin, idleTimeoutSec: opts.idleTimeoutSec };
  const now = opts.now ?? (() => new Date());
  registerCommands(opts.commands, { shown: opts.historyShown, defaults });
  return {
    name: 'signins',
    specs: ['RFC 6120 §4.9.3.3', 'RFC 6120 §4.9.3.4', 'RFC 6120 §7.6.2.1', 'RFC 6121 §5.2.2', 'XEP-0050', 'XEP-0004 §3.4'],
    settings: ['signinHistoryDays', 'signinHistoryShown', 'signinAlerts', 'multiLogin', 'sessionIdleTimeoutSec'],
    storage: ['login_history', 'signin_settings', 'signin_alerts'],
    metrics: ['parley_signins_total', 'parley_signin_alerts_total', 'parley_signin_sessions_total'],
    edge: {
      connection: (api) => signInConnection(api, { domain: opts.domain, defaults, alerts: opts.alerts, keptAlerts: KEPT_ALERTS, metrics, now }),
    },
    session: {
      periodic: [
        {
          name: 'signin-history-retention',
          everyMs: opts.sweepEveryMs ?? 3_600_000,
          async run(env) {
            const removed = await env.store.loginHistory.sweep(new Date(now().getTime() - opts.historyDays * 86_400_000));
            if (removed > 0) env.log.info('sign-in history sweep', { removed, keptDays: opts.historyDays });
          },
        },
      ],
    },
  };
}
