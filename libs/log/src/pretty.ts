// The human line for a terminal: `2024-05-01T12:00:00.000Z INFO  edge listening c2s=5222 tls=true`.
// It reads the JSON pino already wrote (and redacted), so a terminal never shows what JSON would hide.

const ORDER = ['t', 'level', 'msg'];

export function prettyLine(json: string): string {
  const rec = JSON.parse(json) as Record<string, unknown>;
  const level = String(rec.level ?? '').toUpperCase();
  const extra: string[] = [];
  for (const [k, v] of Object.entries(rec)) {
    if (ORDER.includes(k)) continue;
    extra.push(`${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
  }
  return `${rec.t} ${level.padEnd(5)} ${rec.msg ?? ''}${extra.length ? ` ${extra.join(' ')}` : ''}`;
}
