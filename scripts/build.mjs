#!/usr/bin/env node
// Bundles each runnable entry point (workspace TypeScript inlined, npm dependencies left external)
// so that `npx parley` and `npx parley-load` run on plain Node without a TypeScript loader.
import { build } from 'esbuild';

const entries = [
  { in: 'services/cli/src/main.ts', out: 'services/cli/dist/parley.js' },
  { in: 'loadtest/src/main.ts', out: 'loadtest/dist/parley-load.js', optional: true },
];
import { existsSync } from 'node:fs';

const externalNpm = {
  name: 'external-npm',
  setup(b) {
    // Keep third-party packages external (they are installed); inline our own @parley/* workspaces.
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.kind === 'entry-point' || args.path.startsWith('@parley/')) return undefined;
      return { path: args.path, external: true };
    });
  },
};

for (const e of entries) {
  if (e.optional && !existsSync(e.in)) continue;
  await build({
    entryPoints: [e.in],
    outfile: e.out,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: true,
    plugins: [externalNpm],
    logLevel: 'warning',
  });
  console.log(`built ${e.out}`);
}
