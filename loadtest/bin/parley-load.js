#!/usr/bin/env node
// Thin launcher: the real program is bundled by `npm run build` into ../dist.
import { existsSync } from 'node:fs';
const target = new URL('../dist/parley-load.js', import.meta.url);
if (!existsSync(target)) {
  console.error('parley-load is not built yet: run `npm run build` in the repository root first.');
  process.exit(2);
}
await import(target.href);
