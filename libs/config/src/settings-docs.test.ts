import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { defaultConfig, describeSettings, formatDefault, settingsHelp, withSettingsTables } from './index.ts';

const README = new URL('../../../README.md', import.meta.url);

test('every setting has its own PARLEY_ variable, a kind and a description', () => {
  const docs = describeSettings();
  assert.deepEqual(
    docs.map((d) => d.key),
    Object.keys(defaultConfig()),
  );
  assert.equal(new Set(docs.map((d) => d.env)).size, docs.length);
  for (const d of docs) {
    assert.match(d.env, /^PARLEY_[A-Z0-9_]+$/, d.key);
    assert.ok(d.kind.length > 0, d.key);
    assert.match(d.description, /^\S.{10,}\.$/, `${d.key} needs a sentence of description`);
  }
});

test('parley --help lists each variable with its YAML key, kind, default and description', () => {
  const help = settingsHelp();
  for (const d of describeSettings()) {
    const line = help.split('\n').find((l) => l.startsWith(`  ${d.env} `));
    assert.ok(line, d.env);
    assert.ok(line.includes(`${d.key}: ${d.kind}`), line);
    assert.ok(line.endsWith(`default ${formatDefault(d.def)}`), line);
    assert.ok(help.includes(`${line}\n      ${d.description}`), d.env);
  }
});

test('the README settings tables are the ones the schema generates', () => {
  const text = readFileSync(README, 'utf8');
  assert.ok(text.includes('<!-- settings:server -->') && text.includes('<!-- settings:cluster -->'), 'README lost its settings markers');
  assert.equal(text, withSettingsTables(text), 'README.md settings tables are stale: run `node --import tsx scripts/settings-tables.ts`');
});
