// The extension modules every Parley process loads, in embedded and cluster mode alike.
import type { ExtensionModule } from '@parley/ext';
import type { Registry } from 'prom-client';
import { carbons } from './carbons.ts';
import { contentFilter } from './content-filter/index.ts';
import { disco } from './disco.ts';
import { lastActivity } from './last-activity.ts';
import { legacySession } from './legacy-session.ts';
import { offline } from './offline.ts';
import { offlineLimit } from './offline-limit.ts';
import { ping } from './ping.ts';
import { blocking, invisibility, privacyEnforcement, privacyLists } from './privacy/index.ts';
import { roster } from './roster/index.ts';
import { streamManagement } from './stream-management/index.ts';
import { entityTime } from './time.ts';
import { version } from './version.ts';

export { carbonEligible, carbons } from './carbons.ts';
export { contentFilter, filterMessage } from './content-filter/index.ts';
export { disco } from './disco.ts';
export { lastActivity, NS_LAST } from './last-activity.ts';
export { legacySession } from './legacy-session.ts';
export { offline } from './offline.ts';
export { offlineLimit } from './offline-limit.ts';
export { ping } from './ping.ts';
export { BLOCKLIST_NAME, blocking, invisibility, NS_BLOCKING, NS_INVISIBLE, privacyEnforcement, privacyLists } from './privacy/index.ts';
export { roster } from './roster/index.ts';
export { streamManagement } from './stream-management/index.ts';
export { entityTime, NS_TIME } from './time.ts';
export { version } from './version.ts';

export interface DefaultModuleOptions {
  serverVersion: string;
  offlineQuota: number;
  /** The process's metrics registry, for modules that export metrics. */
  registry?: Registry;
  /** Abuse limits (docs/security.md); defaults as in the config schema. */
  contentMaxBodyChars?: number;
  contentWords?: string[];
  offlinePerSender?: number;
}

export function defaultModules(opts: DefaultModuleOptions): ExtensionModule[] {
  return [
    // First: every later module (offline storage, carbons, archives) sees the filtered message.
    contentFilter({ maxBodyChars: opts.contentMaxBodyChars ?? 10_000, words: opts.contentWords, registry: opts.registry }),
    disco,
    ping,
    version({ name: 'Parley', version: opts.serverVersion }),
    entityTime(),
    legacySession,
    roster,
    carbons,
    offlineLimit({ perSenderPerHour: opts.offlinePerSender ?? 100, registry: opts.registry }),
    offline({ quota: opts.offlineQuota }),
    streamManagement({ registry: opts.registry }),
    privacyEnforcement,
    blocking,
    privacyLists,
    invisibility,
    lastActivity(),
  ];
}
