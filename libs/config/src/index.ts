// @parley/config: one schema (schema.ts) gives the ParleyConfig type, the defaults, the checks with
// their one-line errors (load.ts) and the help text and README tables (help.ts).
import type { ParleyConfig } from './schema.ts';

export { describeSettings, formatDefault, type SettingDoc, settingsHelp, settingsMarkdown, withSettingsTables } from './help.ts';
export { ConfigError, defaultConfig, loadConfig } from './load.ts';
export { chatroomDomain, configSchema, LOG_LEVELS, type ParleyConfig, type SettingKey, type SettingMeta } from './schema.ts';

/** Cluster mode is on when the bus, the location service and the database are all external. */
export function clusterMode(c: ParleyConfig): boolean {
  return c.natsUrl !== null;
}
