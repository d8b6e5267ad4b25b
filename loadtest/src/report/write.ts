// Writes result.json and report.html for a run.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LoadResult } from '../run/result.ts';
import { renderHtml } from './html.ts';

export function defaultOutDir(r: LoadResult): string {
  const stamp = r.startedAt.replace(/[:.]/g, '-');
  return join('parley-load-results', `${r.scenario}-${stamp}`);
}

export function writeReports(r: LoadResult, dir: string, html: boolean): { json: string; html?: string } {
  mkdirSync(dir, { recursive: true });
  const json = join(dir, 'result.json');
  writeFileSync(json, `${JSON.stringify(r, null, 2)}\n`);
  if (!html) return { json };
  const page = join(dir, 'report.html');
  writeFileSync(page, renderHtml(r));
  return { json, html: page };
}
