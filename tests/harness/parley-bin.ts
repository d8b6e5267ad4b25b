// The `parley` program for tests that run it as a child process (cluster processes, CLI commands):
// bundled once per test process with the settings of `npm run build` (scripts/bundle.mjs). A process
// started from the bundle costs about a third of the CPU time of one started from source through tsx
// (≈1.2 against ≈3.4 CPU-s for `parley --help`, docs/decisions/0030), and the bundle is what
// `npx parley` and the container image run.
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundle } from '../../scripts/bundle.mjs';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
let built: Promise<string> | null = null;

/** Node arguments that run `parley` (append the command and its options). */
export async function parleyArgs(): Promise<string[]> {
  built ??= (async () => {
    // Three levels below the root like services/cli/dist/parley.js, where paths.ts finds migrations/;
    // one file per test process, so test files running side by side never share a half-written one.
    const dist = join(ROOT, 'services/cli/dist');
    removeOrphans(dist);
    const out = join(dist, `test-${process.pid}.js`);
    await bundle(join(ROOT, 'services/cli/src/main.ts'), out);
    process.once('exit', () => {
      rmSync(out, { force: true });
      rmSync(`${out}.map`, { force: true });
    });
    return out;
  })();
  return ['--enable-source-maps', await built];
}

/** Bundles of test processes that died without their exit handler (killed by a signal). */
function removeOrphans(dist: string): void {
  let names: string[];
  try {
    names = readdirSync(dist);
  } catch {
    return;
  }
  for (const name of names) {
    const pid = Number(/^test-(\d+)\.js(\.map)?$/.exec(name)?.[1]);
    if (!pid || alive(pid)) continue;
    rmSync(join(dist, name), { force: true });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
