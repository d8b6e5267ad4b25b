// Password guessing (REQUIREMENTS.md, Threats): after `failuresBeforeDelay` failed logins for an
// account from one address, or from one address for any account, every further attempt is
// answered no sooner than 1 s later, doubling up to a cap (a timer: no CPU or thread is held);
// after `lockAfter` failures for an account from anywhere, the account is locked for a while.
// Counting is by the name tried, never by whether it exists, so an unknown account behaves
// exactly like a known one. The state is a FailureLedger: memory in embedded mode, Redis in
// cluster mode (the same counts on every edge).
//
// The one entry point is `guardSasl`: it wraps a SASL session (RFC 6120 §6 or SASL2), sees the
// name in the client's first message and applies the gate to the final step.
import { setTimeout as sleep } from 'node:timers/promises';
import { prepareLocalpart } from '@parley/jid';
import type { Logger } from '@parley/log';
import type { FailureLedger } from '@parley/ratelimit';
import type { SaslSession, SaslStep } from '@parley/sasl';
import { addressKey } from './address.ts';
import type { LimitMetrics } from './metrics.ts';

export interface BruteForceRules {
  failuresBeforeDelay: number;
  delayCapMs: number;
  lockAfter: number;
  lockMs: number;
  windowMs: number;
}

export interface BruteForceGate {
  readonly rules: BruteForceRules;
  readonly ledger: FailureLedger;
  readonly metrics: LimitMetrics;
  readonly log: Logger;
}

export function bruteForceGate(rules: BruteForceRules, ledger: FailureLedger, metrics: LimitMetrics, log: Logger): BruteForceGate {
  return { rules, ledger, metrics, log };
}

const LOCKED_TEXT = 'too many failed logins for this account; try again later';

/** Wrap a SASL session so its outcome passes the brute-force gate. */
export function guardSasl(gate: BruteForceGate, session: SaslSession, ip: string): SaslSession {
  let user: string | null = null;
  let seen = false;
  const settle = async (step: Promise<SaslStep>, data: Buffer | null): Promise<SaslStep> => {
    if (!seen && data !== null) {
      seen = true;
      user = claimedUser(session.mechanism, data);
    }
    const s = await step;
    if (s.kind === 'challenge') return s;
    return judge(gate, s, user ?? (s.kind === 'success' ? s.username : null), ip);
  };
  return {
    mechanism: session.mechanism,
    start: (initial) => settle(session.start(initial), initial),
    step: (response) => settle(session.step(response), response),
  };
}

/** Unlock an account (`parley user unlock`): the lock and its failure counts go. */
export async function unlockAccount(ledger: FailureLedger, user: string): Promise<void> {
  await ledger.unlock(accountKey(user));
  await ledger.forget(accountKey(user));
}

const accountKey = (user: string) => `u:${user}`;

async function judge(gate: BruteForceGate, step: SaslStep, user: string | null, ip: string): Promise<SaslStep> {
  const { rules, ledger, metrics, log } = gate;
  const address = addressKey(ip);
  const pair = user === null ? null : ([accountKey(user), address] as const);
  const byAddress = [`a:${address}`, '*'] as const;
  let outcome = step;
  let delayMs = 0;
  try {
    const [pairFailures = 0, addressFailures = 0] = await ledger.read(pair ? [pair, byAddress] : [[`-`, '-'], byAddress]);
    const over = Math.max(pairFailures, addressFailures) - rules.failuresBeforeDelay;
    if (over >= 0) delayMs = Math.min(rules.delayCapMs, 1000 * 2 ** Math.min(over, 30));
    const lockedMs = user === null ? 0 : await ledger.lockedFor(accountKey(user));
    if (lockedMs > 0) {
      metrics.refused('auth-locked');
      log.info('login refused: account locked', { user, address, lockedForSec: Math.ceil(lockedMs / 1000) });
      // RFC 6120 §6.5.10: a locked account fails like a wrong password, with a reason in <text/>.
      outcome = { kind: 'failure', condition: 'not-authorized', text: LOCKED_TEXT };
    }
    if (outcome.kind === 'failure') {
      const entries: Array<readonly [string, string]> = [byAddress];
      if (user !== null) entries.push([accountKey(user), address], [accountKey(user), '*']);
      const counts = await ledger.record(entries, rules.windowMs);
      const accountFailures = counts[2] ?? 0;
      if (user !== null && lockedMs === 0 && accountFailures >= rules.lockAfter) {
        await ledger.lock(accountKey(user), rules.lockMs);
        metrics.refused('auth-locked');
        log.warn('account locked after failed logins', { user, failures: accountFailures, lockSec: Math.round(rules.lockMs / 1000) });
      }
    } else if (pair) {
      // The right password from this address: its own count starts again (not the address's or the account's).
      await ledger.forget(pair[0], pair[1]);
    }
  } catch (err) {
    // The ledger (Redis) is unreachable: logins go on unslowed rather than all failing.
    log.warn('brute-force ledger unavailable', { err: (err as Error).message });
  }
  // The name tried goes with the failure, for the sign-in history of that account.
  if (outcome.kind === 'failure' && user !== null) outcome = { ...outcome, username: user };
  if (delayMs > 0) {
    metrics.refused('auth-delayed');
    metrics.authDelay.observe(delayMs / 1000);
    log.info('login attempt slowed after failures', { user, address, delayMs });
    await sleep(delayMs);
  }
  return outcome;
}

/** The authentication identity the client claims in its first message (PLAIN RFC 4616 §2, SCRAM RFC 5802 §5.1). */
export function claimedUser(mechanism: string, data: Buffer): string | null {
  let raw: string | undefined;
  const text = data.toString('utf8');
  if (mechanism === 'PLAIN') raw = text.split('\0')[1];
  // XEP-0484 §3 (HT-* mechanisms): authcid NUL token-hash.
  else if (mechanism.startsWith('HT-')) raw = text.split('\0')[0];
  else if (mechanism.startsWith('SCRAM-')) {
    // gs2-header "p=..|n|y" "," [authzid] "," then "n=" saslname "," "r=" ...
    const parts = text.split(',');
    const n = parts[2];
    if (n?.startsWith('n=')) raw = n.slice(2).replaceAll('=2C', ',').replaceAll('=3D', '=');
  }
  if (!raw) return null;
  try {
    return prepareLocalpart(raw.includes('@') ? raw.slice(0, raw.indexOf('@')) : raw);
  } catch {
    return null;
  }
}
