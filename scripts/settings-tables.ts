// Rewrites the settings tables in README.md from the config schema (libs/config/src/schema.ts).
// Run: node --import tsx scripts/settings-tables.ts   (libs/config/src/settings-docs.test.ts checks it)
import { readFileSync, writeFileSync } from 'node:fs';
import { withSettingsTables } from '@parley/config';

const readme = new URL('../README.md', import.meta.url);
const before = readFileSync(readme, 'utf8');
const after = withSettingsTables(before);
if (after === before) console.log('README.md settings tables are up to date');
else {
  writeFileSync(readme, after);
  console.log('README.md settings tables rewritten');
}
