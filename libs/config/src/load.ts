// Configuration from the schema's defaults, then an optional YAML file (PARLEY_CONFIG), then the
// environment, then programmatic overrides. A wrong setting is reported as one line naming it (the
// variable, or `file: key`); the CLI exits with code 2.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { configSchema, envOf, isSettingKey, type ParleyConfig, type SettingKey, settingsShape } from './schema.ts';

export class ConfigError extends Error {
  constructor(
    readonly setting: string,
    message: string,
  ) {
    super(`${setting}: ${message}`);
  }
}

export function defaultConfig(): ParleyConfig {
  return configSchema.parse({});
}

/**
 * Load configuration: defaults, then the YAML file named by PARLEY_CONFIG (keys as in ParleyConfig,
 * e.g. `c2sPort: 5222`), then environment variables, then `overrides` (checked like the rest).
 * The data directory comes back absolute. Throws ConfigError.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Partial<ParleyConfig> = {}): ParleyConfig {
  const given: Record<string, unknown> = {};
  const file = env.PARLEY_CONFIG;
  if (file) {
    for (const [key, value] of Object.entries(readYaml(file))) {
      if (!isSettingKey(key)) throw new ConfigError(`${file}: ${key}`, `unknown setting (known: ${Object.keys(settingsShape).join(', ')})`);
      given[key] = parseSetting(key, scalarText(value, `${file}: ${key}`), `${file}: ${key}`);
    }
  }
  for (const key of Object.keys(settingsShape) as SettingKey[]) {
    const raw = env[envOf(key)];
    if (raw !== undefined) given[key] = parseSetting(key, raw, envOf(key));
  }
  for (const [key, value] of Object.entries(overrides)) if (value !== undefined) given[key] = value;
  const r = configSchema.safeParse(given);
  if (!r.success) throw fromIssue(r.error.issues[0]);
  return { ...r.data, dataDir: resolve(r.data.dataDir) };
}

function readYaml(file: string): Record<string, unknown> {
  let doc: unknown;
  try {
    doc = parseYaml(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new ConfigError('PARLEY_CONFIG', `cannot read ${file}: ${(e as Error).message.split('\n')[0]}`);
  }
  if (doc !== null && (typeof doc !== 'object' || Array.isArray(doc))) throw new ConfigError('PARLEY_CONFIG', `${file} must hold a mapping of settings`);
  return (doc ?? {}) as Record<string, unknown>;
}

/** A YAML value is read as the same text an environment variable would hold (`~` is unset). */
function scalarText(value: unknown, setting: string): string {
  if (value === null) return '';
  if (typeof value === 'object') throw new ConfigError(setting, 'must be a single value, not a list or mapping');
  return String(value);
}

function parseSetting(key: SettingKey, raw: string, setting: string): unknown {
  const r = settingsShape[key].safeParse(raw);
  if (!r.success) throw new ConfigError(setting, r.error.issues[0]?.message ?? 'invalid');
  return r.data;
}

function fromIssue(issue: z.core.$ZodIssue | undefined): ConfigError {
  const key = issue?.path[0];
  const setting = typeof key === 'string' && isSettingKey(key) ? envOf(key) : 'configuration';
  return new ConfigError(setting, issue?.message ?? 'invalid');
}
