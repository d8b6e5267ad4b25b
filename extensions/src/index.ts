// The extension modules every Parley process loads, in embedded and cluster mode alike.
import type { ExtensionModule } from '@parley/ext';
import type { Registry } from 'prom-client';
import { carbons } from './carbons.ts';
import { clientStateIndication } from './csi.ts';
import { disco } from './disco.ts';
import { lastActivity } from './last-activity.ts';
import { type ArchiveOptions, messageArchive } from './mam/index.ts';
import { legacySession } from './legacy-session.ts';
import { invitations } from './invitations.ts';
import { type LookalikePolicy, lookalikes } from './lookalikes.ts';
import { offline } from './offline.ts';
import { ping } from './ping.ts';
import { blocking, invisibility, privacyEnforcement, privacyLists } from './privacy/index.ts';
import { push } from './push/index.ts';
import { roster } from './roster/index.ts';
import { streamManagement } from './stream-management/index.ts';
import { entityTime } from './time.ts';
import { version } from './version.ts';

export { carbonEligible, carbons } from './carbons.ts';
export { clientStateIndication, csiHoldKey, NS_CSI } from './csi.ts';
export { disco } from './disco.ts';
export { lastActivity, NS_LAST } from './last-activity.ts';
export { legacySession } from './legacy-session.ts';
export { invitations, NS_PARS } from './invitations.ts';
export { type LookalikePolicy, lookalikes, NS_LOOKALIKE } from './lookalikes.ts';
export { type ArchiveOptions, messageArchive, NS_MAM } from './mam/index.ts';
export { offline } from './offline.ts';
export { ping } from './ping.ts';
export { BLOCKLIST_NAME, blocking, invisibility, NS_BLOCKING, NS_INVISIBLE, privacyEnforcement, privacyLists } from './privacy/index.ts';
export { NS_PUSH, push } from './push/index.ts';
export { roster } from './roster/index.ts';
export { streamManagement } from './stream-management/index.ts';
export { entityTime, NS_TIME } from './time.ts';
export { version } from './version.ts';

export interface DefaultModuleOptions {
  serverVersion: string;
  offlineQuota: number;
  /** What happens to a stanza from a look-alike of a contact (UTS #39); 'warn' unless set. */
  lookalikePolicy?: LookalikePolicy;
  /** The process's metrics registry, for modules that export metrics. */
  registry?: Registry;
  /** XEP-0313 message archive settings (defaults: always archive, keep forever). */
  archive?: Partial<ArchiveOptions>;
  /** XEP-0198 resumption window (seconds; 0 disables). */
  smResumeSec?: number;
  /** XEP-0357: include message bodies in push summaries. */
  pushIncludeBody?: boolean;
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
    streamManagement({ registry: opts.registry, resumeSec: opts.smResumeSec }),
    privacyEnforcement,
    blocking,
    privacyLists,
    invisibility,
    // After the privacy modules: a blocked or denied look-alike is dropped before it can cause a notice.
    lookalikes({ policy: opts.lookalikePolicy ?? 'warn' }),
    invitations,
    lastActivity(),
    messageArchive({ defaultMode: 'always', retentionDays: 0, sweepEveryMs: 3_600_000, defaultPage: 50, maxPage: 250, registry: opts.registry, ...opts.archive }),
    clientStateIndication({ registry: opts.registry }),
    push({ includeBody: opts.pushIncludeBody, registry: opts.registry }),
  ];
}
