// Offline messages per sender (issue 9, docs/security.md): one sender may leave an account at most
// N offline messages an hour, so a flood cannot fill the recipient's offline store (XEP-0160) for
// everyone else. Runs in the recipient's session actor, the one activation for that account in the
// cluster, so an in-memory bucket there is cluster-wide. Loaded before `offline`: a refused message
// is answered resource-constraint (RFC 6120 §8.3.3.18, type wait) and not stored.
import { bareOf } from '@parley/jid';
import { type ExtensionModule, HANDLED, PASS } from '@parley/ext';
import { MemoryRateLimiter } from '@parley/ratelimit';
import { Counter, type Registry } from 'prom-client';

export function offlineLimit(opts: { perSenderPerHour: number; registry?: Registry }): ExtensionModule {
  const buckets = new MemoryRateLimiter();
  const rule = { perSec: opts.perSenderPerHour / 3600, burst: opts.perSenderPerHour };
  const refused = new Counter({
    name: 'parley_offline_refused_total',
    help: 'Offline messages refused because the sender left too many for one account',
    registers: opts.registry ? [opts.registry] : [],
  });
  return {
    name: 'offline-limit',
    specs: ['XEP-0160', 'RFC 6120 §8.3.3.18'],
    settings: ['limitOfflinePerSender'],
    metrics: ['parley_offline_refused_total'],
    session: {
      async undeliverable({ env, key, stanza, origin }) {
        const from = stanza.attr('from');
        if (!from) return PASS;
        if (buckets.takeNow(`${key}|${bareOf(from)}`, rule).ok) return PASS;
        refused.inc();
        env.fail(stanza, origin, 'resource-constraint', 'you have left too many offline messages for this user; try again later');
        return HANDLED;
      },
    },
  };
}
