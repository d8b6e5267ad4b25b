#!/usr/bin/env node
// Bundles each runnable entry point (workspace TypeScript inlined, npm dependencies left external)
// so that `npx parley` and `npx parley-load` run on plain Node without a TypeScript loader.
import { existsSync } from 'node:fs';
import { bundle } from './bundle.mjs';

const entries = [
  { in: 'services/cli/src/main.ts', out: 'services/cli/dist/parley.js' },
  { in: 'loadtest/src/main.ts', out: 'loadtest/dist/parley-load.js', optional: true },
];

for (const e of entries) {
  if (e.optional && !existsSync(e.in)) continue;
  await bundle(e.in, e.out);
  console.log(`built ${e.out}`);
}
