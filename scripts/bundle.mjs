// The esbuild settings of a runnable entry point: workspace TypeScript inlined, npm dependencies left
// external. Shared by `npm run build` (scripts/build.mjs) and the cluster test harness, which runs its
// processes from such a bundle (tests/cluster/harness.ts).
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

/** Bundles `entry` into `outfile` (ESM for Node 20, with a source map). */
export async function bundle(entry, outfile) {
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: true,
    plugins: [externalNpm],
    logLevel: 'warning',
  });
}
