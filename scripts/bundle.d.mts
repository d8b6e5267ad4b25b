/** Bundles `entry` into `outfile` (ESM for Node 20, with a source map); see bundle.mjs. */
export function bundle(entry: string, outfile: string): Promise<void>;
