// Alert rules and the Grafana dashboard: promtool (Debian's prometheus package, unpacked into
// .tools/bin by scripts/ensure-system-deps.sh) checks and unit-tests the rules, and every metric
// they and the dashboard name is one that Parley's code exports.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { parse as parseYaml, stringify } from 'yaml';
import { ROOT } from './chart.ts';

const RULES = join(ROOT, 'ops', 'prometheus', 'parley-alerts.yml');
const RULE_TESTS = join(ROOT, 'ops', 'prometheus', 'parley-alerts.test.yml');
const DASHBOARD = join(ROOT, 'ops', 'grafana', 'parley-dashboard.json');

function promtool(args: string[]): { status: number; out: string } {
  const local = join(ROOT, '.tools', 'bin', 'promtool');
  const bin = existsSync(local) ? local : 'promtool';
  const r = spawnSync(bin, args, { encoding: 'utf8', timeout: 60_000 });
  if (r.error) throw new Error(`promtool is missing (${r.error.message}): run scripts/ensure-system-deps.sh`);
  return { status: r.status ?? 1, out: r.stdout + r.stderr };
}

interface Panel {
  title: string;
  type: string;
  targets?: { expr: string }[];
}
const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as { panels: Panel[]; uid: string };
const dashboardExprs = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));
const ruleExprs = (parseYaml(readFileSync(RULES, 'utf8')) as { groups: { rules: { alert: string; expr: string }[] }[] }).groups.flatMap((g) => g.rules.map((r) => r.expr));

/** Names of the metrics Parley registers: parley_* from the sources, process_/nodejs_ from prom-client's defaults. */
async function exportedMetrics(): Promise<Set<string>> {
  const names = new Set<string>();
  const walk = (dir: string) => {
    for (const f of readdirSync(dir)) {
      const p = join(dir, f);
      if (f === 'node_modules' || f === 'dist') continue;
      if (statSync(p).isDirectory()) walk(p);
      else if (f.endsWith('.ts') && !f.endsWith('.test.ts')) {
        const src = readFileSync(p, 'utf8');
        for (const m of src.matchAll(/name: '(parley_[a-z0-9_]+)'/g)) names.add(m[1]!);
        for (const m of src.matchAll(/name: `parley_\$\{service\}_([a-z0-9_]+)`/g)) for (const s of ['session', 'presence']) names.add(`parley_${s}_${m[1]}`);
      }
    }
  };
  walk(join(ROOT, 'services'));
  walk(join(ROOT, 'libs'));
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  for (const m of await registry.getMetricsAsJSON()) names.add(m.name);
  return names;
}

/** Metric names an expression reads (histogram series reduced to the histogram's name). */
function metricsIn(expr: string): string[] {
  return [...expr.matchAll(/\b((?:parley|process|nodejs)_[a-z0-9_]+)/g)].map((m) => m[1]!.replace(/_(bucket|sum|count)$/, ''));
}

test('promtool accepts the alert rules', () => {
  const r = promtool(['check', 'rules', RULES]);
  assert.equal(r.status, 0, r.out);
  assert.match(r.out, /SUCCESS: \d+ rules found/);
});

test('promtool unit tests: each alert fires when it should and stays silent on a healthy cluster', () => {
  const r = promtool(['test', 'rules', RULE_TESTS]);
  assert.equal(r.status, 0, r.out);
  assert.match(r.out, /SUCCESS/);
  const tested = new Set([...readFileSync(RULE_TESTS, 'utf8').matchAll(/alertname: (\w+)/g)].map((m) => m[1]));
  const alerts = [...readFileSync(RULES, 'utf8').matchAll(/- alert: (\w+)/g)].map((m) => m[1]!);
  assert.deepEqual(alerts.filter((a) => !tested.has(a)), [], 'alerts without a unit test');
});

test('promtool rejects a broken rule, so the checks above can fail', () => {
  const dir = mkdtempSync(join(tmpdir(), 'parley-rules-'));
  try {
    const file = join(dir, 'bad.yml');
    writeFileSync(file, stringify({ groups: [{ name: 'x', rules: [{ alert: 'Bad', expr: 'sum(rate(parley_edge_auth_total[5m])' }] }] }));
    assert.notEqual(promtool(['check', 'rules', file]).status, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('every dashboard query is valid PromQL', () => {
  const dir = mkdtempSync(join(tmpdir(), 'parley-dashboard-'));
  try {
    const file = join(dir, 'dashboard-queries.yml');
    const rules = dashboardExprs.map((expr, i) => ({ record: `parley:dashboard_query:${i}`, expr: expr.replaceAll('$__rate_interval', '5m').replaceAll('$namespace', '.*') }));
    writeFileSync(file, stringify({ groups: [{ name: 'dashboard', rules }] }));
    const r = promtool(['check', 'rules', file]);
    assert.equal(r.status, 0, r.out);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the rules and the dashboard read only metrics that Parley exports', async () => {
  const exported = await exportedMetrics();
  assert.ok(exported.has('parley_edge_handoff_seconds') && exported.has('parley_session_mailbox_depth'), 'the source scan finds the metrics');
  const unknown = [...ruleExprs, ...dashboardExprs].flatMap(metricsIn).filter((m) => !exported.has(m));
  assert.deepEqual([...new Set(unknown)], []);
});

test('the dashboard shows connections, stanza rates, hand-off latency, mailboxes, sign-ins, errors and per-role CPU and memory', () => {
  const used = new Set(dashboardExprs.flatMap(metricsIn));
  for (const m of ['parley_edge_connections', 'parley_edge_stanzas_total', 'parley_edge_handoff_seconds', 'parley_session_mailbox_depth', 'parley_presence_mailbox_depth', 'parley_edge_auth_total', 'parley_backend_errors_total', 'parley_edge_bus_errors_total', 'process_cpu_seconds_total', 'process_resident_memory_bytes']) {
    assert.ok(used.has(m), `the dashboard shows ${m}`);
  }
  assert.ok(dashboardExprs.some((e) => /sum by \(role\) \(rate\(process_cpu_seconds_total/.test(e)), 'CPU per role');
  const ids = dashboard.panels.map((p) => (p as unknown as { id: number }).id);
  assert.equal(new Set(ids).size, ids.length, 'panel ids are unique');
});
