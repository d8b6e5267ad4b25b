// Live progress: a redrawn bar on a terminal, a plain line every few seconds otherwise (CI logs).
import type { Progress } from '../run/coordinator.ts';

export function progressLine(p: Progress, width = 24): string {
  const frac = p.trafficTotal > 0 ? Math.min(1, p.trafficElapsed / p.trafficTotal) : 0;
  const filled = Math.round(frac * width);
  const bar = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`;
  const rate = Math.round(p.msgPerSec).toLocaleString('en-US');
  const what = p.phase === 'connect' || p.phase === 'setup' ? p.phase : `${p.phase} ${Math.round(frac * 100)}%`;
  return (
    `${bar} ${what.padEnd(12)} conn ${p.online}/${p.users}  sent ${p.sent}  recv ${p.received}` +
    `  err ${p.errors}  ${rate} msg/s${p.logins ? `  logins ${p.logins}` : ''}`
  );
}

export function progressPrinter(stream: NodeJS.WriteStream, quiet: boolean): { update(p: Progress): void; done(): void } {
  const tty = stream.isTTY === true;
  let lastPrint = 0;
  return {
    update(p) {
      if (quiet) return;
      if (tty) {
        stream.write(`\r\x1b[2K${progressLine(p, 24).slice(0, Math.max(40, (stream.columns ?? 120) - 1))}`);
      } else if (p.elapsed - lastPrint >= 5) {
        lastPrint = p.elapsed;
        stream.write(`${progressLine(p, 20)}\n`);
      }
    },
    done() {
      if (!quiet && tty) stream.write('\n');
    },
  };
}
