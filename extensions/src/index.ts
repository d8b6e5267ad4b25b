// The extension modules every Parley process loads, in embedded and cluster mode alike.
import type { ExtensionModule } from '@parley/ext';
import type { Registry } from 'prom-client';
import { carbons } from './carbons.ts';
import { disco } from './disco.ts';
import { lastActivity } from './last-activity.ts';
import { legacySession } from './legacy-session.ts';
import { muc, type MucModuleOptions } from './muc/index.ts';
import { offline } from './offline.ts';
import { ping } from './ping.ts';
import { blocking, invisibility, privacyEnforcement, privacyLists } from './privacy/index.ts';
import { roster } from './roster/index.ts';
import { streamManagement } from './stream-management/index.ts';
import { entityTime } from './time.ts';
import { version } from './version.ts';

export { carbonEligible, carbons } from './carbons.ts';
export { disco } from './disco.ts';
export { lastActivity, NS_LAST } from './last-activity.ts';
export { legacySession } from './legacy-session.ts';
export { defaultRoomConfig, MUC, muc, type MucModuleOptions, STATUS as MUC_STATUS } from './muc/index.ts';
export { offline } from './offline.ts';
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
  /** Chatrooms (XEP-0045) on the chatroom service; without it no module provides rooms. */
  muc?: MucModuleOptions;
}

export function defaultModules(opts: DefaultModuleOptions): ExtensionModule[] {
  return [
    disco,
    ping,
    version({ name: 'Parley', version: opts.serverVersion }),
    entityTime(),
    legacySession,
    roster,
    carbons,
    offline({ quota: opts.offlineQuota }),
    streamManagement({ registry: opts.registry }),
    privacyEnforcement,
    blocking,
    privacyLists,
    invisibility,
    lastActivity(),
    ...(opts.muc ? [muc(opts.muc)] : []),
  ];
}
