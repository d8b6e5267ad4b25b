// Validation of rendered manifests against the Kubernetes OpenAPI schemas, like kubeconform -strict:
// kubernetes-models carries validators generated from the upstream OpenAPI documents (and from the
// cert-manager and prometheus-operator CRDs); those accept unknown fields as the API server's schema
// does, so a second pass type-checks the objects against the same models' TypeScript interfaces, whose
// excess-property check rejects every misspelt or misplaced field.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { type K8sObject, ROOT } from './chart.ts';

const MODULES: Record<string, string> = {
  v1: 'kubernetes-models/v1',
  'apps/v1': 'kubernetes-models/apps/v1',
  'batch/v1': 'kubernetes-models/batch/v1',
  'policy/v1': 'kubernetes-models/policy/v1',
  'autoscaling/v2': 'kubernetes-models/autoscaling/v2',
  'networking.k8s.io/v1': 'kubernetes-models/networking.k8s.io/v1',
  'cert-manager.io/v1': '@kubernetes-models/cert-manager/cert-manager.io/v1',
  'monitoring.coreos.com/v1': '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1',
};

const where = (o: K8sObject) => `${o.kind}/${o.metadata?.name}`;

function moduleOf(o: K8sObject): string {
  const m = MODULES[o.apiVersion];
  if (!m) throw new Error(`${where(o)}: no schema known for apiVersion ${o.apiVersion} (add it to tests/ops/k8s-schema.ts)`);
  return m;
}

/** Schema errors of each object, as "Kind/name: message"; empty when all are valid. */
export async function schemaErrors(objects: K8sObject[]): Promise<string[]> {
  const errors: string[] = [];
  for (const o of objects) {
    const mod = (await import(moduleOf(o))) as Record<string, new (data: unknown) => { validate(): void }>;
    const Model = mod[o.kind];
    if (!Model) {
      errors.push(`${where(o)}: ${o.apiVersion} has no kind ${o.kind}`);
      continue;
    }
    try {
      new Model(o).validate();
    } catch (err) {
      errors.push(`${where(o)}: ${(err as Error).message}`);
    }
  }
  return errors;
}

/** Fields the models do not know (typos, wrong nesting), found by TypeScript's excess-property check. */
export function unknownFieldErrors(objects: K8sObject[]): string[] {
  const dir = join(ROOT, 'node_modules', '.cache', 'parley-ops');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `manifests-${process.pid}-${Date.now()}.ts`);
  const imports = new Map<string, Set<string>>();
  const lines: string[] = [];
  objects.forEach((o, i) => {
    const mod = moduleOf(o);
    if (!imports.has(mod)) imports.set(mod, new Set());
    imports.get(mod)!.add(`I${o.kind}`);
    lines.push(`// ${where(o)}\nexport const o${i}: I${o.kind} = ${JSON.stringify(o, null, 1)};`);
  });
  const head = [...imports].map(([mod, names]) => `import type { ${[...names].join(', ')} } from '${mod}';`);
  writeFileSync(file, `${head.join('\n')}\n${lines.join('\n')}\n`);
  try {
    const program = ts.createProgram([file], {
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.ESNext,
      moduleResolution: ts.ModuleResolutionKind.Bundler,
      types: [],
    });
    return ts.getPreEmitDiagnostics(program).map((d) => {
      const text = ts.flattenDiagnosticMessageText(d.messageText, '\n');
      if (!d.file || d.start === undefined) return text;
      const { line } = d.file.getLineAndCharacterOfPosition(d.start);
      const src = d.file.text.split('\n');
      let owner = '';
      for (let l = line; l >= 0; l--) {
        if (src[l]?.startsWith('// ')) {
          owner = src[l]!.slice(3);
          break;
        }
      }
      return `${owner}: ${text.split('\n').slice(-1)[0]} (at "${src[line]?.trim()}")`;
    });
  } finally {
    rmSync(file, { force: true });
  }
}
