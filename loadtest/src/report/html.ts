// A self-contained HTML report: uPlot (from npm, inlined so the file works offline) draws latency
// and throughput over time; the summary table and the full result JSON are embedded alongside.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { LoadResult } from '../run/result.ts';
import { formatTable } from './table.ts';

function uplotAssets(): { js: string; css: string } {
  const require = createRequire(import.meta.url);
  const js = require.resolve('uplot/dist/uPlot.iife.min.js');
  const css = require.resolve('uplot/dist/uPlot.min.css');
  return { js: readFileSync(js, 'utf8'), css: readFileSync(css, 'utf8') };
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : '&quot;'));
}

/** JSON safe to place inside a <script> element. */
function scriptJson(v: unknown): string {
  return JSON.stringify(v).replace(/</g, '\\u003c');
}

export function renderHtml(r: LoadResult): string {
  const { js, css } = uplotAssets();
  const title = `parley-load ${r.scenario}${r.label ? ` — ${r.label}` : ''} — ${r.startedAt}`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>${css}
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222}
pre{background:#f6f6f6;padding:12px;overflow:auto}
h2{margin-top:32px}
.plot{margin:12px 0}
</style></head><body>
<h1>${escapeHtml(title)}</h1>
<pre>${escapeHtml(formatTable(r))}</pre>
<h2>Latency over time</h2><div id="latency" class="plot"></div>
<h2>Throughput over time</h2><div id="throughput" class="plot"></div>
<h2>Connections and CPU</h2><div id="resources" class="plot"></div>
<details><summary>result.json</summary><pre id="raw"></pre></details>
<script>${js}</script>
<script>
const result = ${scriptJson(r)};
document.getElementById('raw').textContent = JSON.stringify(result, null, 2);
const s = result.series;
const t = s.map(p => p.t);
const width = Math.min(1100, window.innerWidth - 60);
// Shade the warm-up and drain so the measured window stands out.
const shade = {
  hooks: { drawClear: [u => {
    const ctx = u.ctx;
    for (let i = 0; i < s.length; i++) {
      if (s[i].phase === 'measure') continue;
      const x0 = u.valToPos(i ? s[i - 1].t : s[i].t - 1, 'x', true), x1 = u.valToPos(s[i].t, 'x', true);
      ctx.fillStyle = 'rgba(0,0,0,0.04)';
      ctx.fillRect(x0, u.bbox.top, x1 - x0, u.bbox.height);
    }
  }] },
};
const axes = (label) => [{ label: 'seconds' }, { label }];
new uPlot({ title: 'latency per second (ms, log scale)', width, height: 320, plugins: [shade],
  scales: { x: { time: false }, y: { distr: 3 } }, axes: axes('ms'),
  series: [{}, { label: 'p50', stroke: '#1f77b4' }, { label: 'p99', stroke: '#d62728' }, { label: 'max', stroke: '#999', dash: [4, 4] }] },
  [t, s.map(p => p.latencyP50Ms || null), s.map(p => p.latencyP99Ms || null), s.map(p => p.latencyMaxMs || null)],
  document.getElementById('latency'));
// Seconds since the start of the run, not dates: x scales are plain numbers.
new uPlot({ title: 'messages per second', width, height: 320, plugins: [shade], scales: { x: { time: false } }, axes: axes('per second'),
  series: [{}, { label: 'sent/s', stroke: '#2ca02c' }, { label: 'received/s', stroke: '#1f77b4' },
    { label: 'logins/s', stroke: '#9467bd' }, { label: 'errors/s', stroke: '#d62728' }] },
  [t, s.map(p => p.sentPerSec), s.map(p => p.receivedPerSec), s.map(p => p.loginsPerSec), s.map(p => p.errors)],
  document.getElementById('throughput'));
new uPlot({ title: 'online connections, CPU % of one core, server RSS (MB)', width, height: 320, plugins: [shade], scales: { x: { time: false } },
  axes: [{ label: 'seconds' }, { label: 'count / %' }, { side: 1, scale: 'mb', label: 'MB', grid: { show: false } }],
  series: [{}, { label: 'online', stroke: '#17becf' }, { label: 'generator CPU %', stroke: '#ff7f0e' },
    { label: 'server CPU %', stroke: '#8c564b' }, { label: 'server RSS MB', stroke: '#7f7f7f', scale: 'mb' }] },
  [t, s.map(p => p.online), s.map(p => p.generatorCpuPct), s.map(p => p.serverCpuPct ?? null),
    s.map(p => p.serverRssKb != null ? p.serverRssKb / 1024 : null)],
  document.getElementById('resources'));
</script></body></html>
`;
}
