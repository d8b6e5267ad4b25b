// The esbuild settings of a runnable entry point: workspace TypeScript inlined, npm dependencies left
// external. Shared by `npm run build` (scripts/build.mjs) and the cluster test harness, which runs its
// processes from such a bundle (tests/cluster/harness.ts).
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { build } from 'esbuild';

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

/**
 * V8 keeps a script's source in its heap (lazy compilation, Function.prototype.toString), as one byte
 * per character when every character is Latin-1 and two otherwise. esbuild escapes non-ASCII text in
 * strings, regular expressions and identifiers (its default `charset: 'ascii'`), but not in comments:
 * one "→" in a comment doubled the server's 1 MB source to 2 MB of heap. Such characters are replaced
 * in comments by "?" one UTF-16 unit for one, so the source map's columns stay right.
 */
function latin1Only(text) {
  return text.replace(/[\u0100-\uffff]/g, '?');
}

/** Bundles `entry` into `outfile` (ESM for Node 20, with a source map). */
export async function bundle(entry, outfile) {
  const result = await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: true,
    plugins: [externalNpm],
    logLevel: 'warning',
    write: false,
  });
  for (const f of result.outputFiles) {
    mkdirSync(dirname(f.path), { recursive: true });
    writeFileSync(f.path, f.path.endsWith('.js') ? latin1Only(f.text) : f.contents);
  }
}
