// The end-of-run summary printed on the terminal.
import type { LoadResult } from '../run/result.ts';

function fmt(n: number | undefined, digits = 1): string {
  if (n === undefined || !Number.isFinite(n)) return '–';
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

function int(n: number): string {
  return n.toLocaleString('en-US');
}

function rows(title: string, entries: [string, string][]): string[] {
  const w = Math.max(...entries.map(([k]) => k.length));
  return [title, ...entries.map(([k, v]) => `  ${k.padEnd(w)}  ${v}`)];
}

export function formatTable(r: LoadResult): string {
  const out: string[] = [];
  const name = r.label ? `${r.scenario} against ${r.label}` : r.scenario;
  out.push(`parley-load: ${name} — ${r.users} users, ${r.windowSeconds} s measured, ${r.config.workers} worker(s)`);
  out.push('');
  if (r.scenario === 'login') {
    out.push(
      ...rows('Connections', [
        ['logins in window', `${int(Math.round(r.throughput.loginsPerSec * r.windowSeconds))} (${fmt(r.throughput.loginsPerSec)}/s)`],
        ['attempts (total)', int(r.connectAttempts)],
      ]),
    );
  } else {
    out.push(
      ...rows('Throughput', [
        ['sent', `${int(r.messages.sent)} (${fmt(r.throughput.sentPerSec)}/s)`],
        ['expected deliveries', int(r.messages.expected)],
        ['received', `${int(r.messages.received)} (${fmt(r.throughput.deliveredPerSec)}/s delivered in window)`],
        ['lost', int(r.messages.lost)],
        ['peak online', `${int(r.maxOnline)} / ${int(r.users)}`],
      ]),
    );
  }
  out.push('');
  if (r.latencyMs.count > 0) {
    const l = r.latencyMs;
    out.push(
      ...rows('Latency (ms)', [
        ['p50 / p90 / p99', `${fmt(l.p50, 2)} / ${fmt(l.p90, 2)} / ${fmt(l.p99, 2)}`],
        ['p99.9 / max', `${fmt(l.p999, 2)} / ${fmt(l.max, 2)}`],
        ['mean', fmt(l.mean, 2)],
      ]),
    );
    out.push('');
  }
  out.push(
    ...rows('Sessions (ms)', [
      ['auth p50 / p99', `${fmt(r.authMs.p50, 2)} / ${fmt(r.authMs.p99, 2)}  (${int(r.authMs.count)} logins)`],
      ['connect→online p50 / p99', `${fmt(r.loginMs.p50, 2)} / ${fmt(r.loginMs.p99, 2)}`],
    ]),
  );
  out.push('');
  const errs = Object.entries(r.errors);
  out.push(...rows(`Errors: ${int(r.errorTotal)}`, errs.length ? errs.map(([k, v]) => [k, int(v)]) : [['none', '']]));
  out.push('');
  if (r.server) {
    const s = r.server;
    out.push(
      ...rows(`Server (pids ${s.pids.join(', ')})`, [
        ['CPU ms per 1,000 delivered', fmt(s.cpuMsPer1000Delivered)],
        ['CPU average', `${fmt(s.cpuPctAvg)} % of one core`],
        ['RSS before / max / after', `${fmt(s.rssKbBefore / 1024)} / ${fmt(s.rssKbMax / 1024)} / ${fmt(s.rssKbAfter / 1024)} MB`],
        ['RSS per connection', `${fmt(s.rssKbPerConnection)} kB`],
        ...(s.missingPids.length ? ([['unreadable pids', s.missingPids.join(', ')]] as [string, string][]) : []),
      ]),
    );
    out.push('');
  }
  const g = r.generator;
  out.push(
    ...rows('Generator', [
      ['CPU average', `${fmt(g.cpuPctAvg)} % of one core`],
      ['CPU ms per 1,000 msgs handled', fmt(g.cpuMsPer1000Messages)],
      ['event-loop delay p99 (worst s)', `${fmt(g.eventLoopDelayP99MaxMs)} ms`],
    ]),
  );
  return out.join('\n');
}
