// The settings as people read them: `parley --help` and the README tables, both from the schema.
import { kindHint } from './kinds.ts';
import { defaultConfig } from './load.ts';
import { metaOf, type SettingKey, type SettingMeta, settingsShape } from './schema.ts';

export interface SettingDoc extends SettingMeta {
  key: SettingKey;
  /** What the value must look like: `port 0-65535`, `true|false`, `URL`, … */
  kind: string;
  def: unknown;
}

export function describeSettings(): SettingDoc[] {
  const defaults = defaultConfig();
  return (Object.keys(settingsShape) as SettingKey[]).map((key) => {
    const kind = kindHint.get(settingsShape[key].unwrap())?.hint;
    if (!kind) throw new Error(`setting ${key} is not built from a kind in kinds.ts`);
    return { key, ...metaOf(key), kind, def: defaults[key] };
  });
}

export function formatDefault(def: unknown): string {
  return def === null ? 'unset' : String(def);
}

/** For `parley --help`: variable, YAML key, kind and default on one line, the description under it. */
export function settingsHelp(): string {
  return describeSettings()
    .map((s) => `  ${s.env.padEnd(28)} ${`${s.key}: ${s.kind}`.padEnd(40)} default ${formatDefault(s.def)}\n      ${s.description}`)
    .join('\n');
}

/** For README.md: one Markdown table per group (checked by a test against the file). */
export function settingsMarkdown(group: SettingMeta['group']): string {
  const rows = describeSettings()
    .filter((s) => s.group === group)
    .map((s) => `| \`${s.env}\` | \`${s.key}\` | ${s.def === null ? '—' : `\`${formatDefault(s.def)}\``} | ${s.description} |`);
  return ['| variable | YAML key | default | meaning |', '|---|---|---|---|', ...rows].join('\n');
}

/** Replaces each `<!-- settings:GROUP -->…<!-- /settings -->` block of `doc` with the generated table. */
export function withSettingsTables(doc: string): string {
  return doc.replace(
    /(<!-- settings:(server|cluster) -->\n)[\s\S]*?(<!-- \/settings -->)/g,
    (_m, open: string, group: SettingMeta['group'], close: string) => `${open}${settingsMarkdown(group)}\n${close}`,
  );
}
