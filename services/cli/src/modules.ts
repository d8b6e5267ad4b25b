// The extension modules of this build, loaded the same way by embedded mode and by every cluster
// process (ARCHITECTURE.md, Extensions).
import type { ParleyConfig } from '@parley/config';
import { type LoadedModules, loadModules } from '@parley/ext';
import { defaultModules } from '@parley/extensions';
import type { Registry } from 'prom-client';
import { serverVersion } from './paths.ts';

export function loadServerModules(config: ParleyConfig, registry: Registry): LoadedModules {
  const archive = {
    defaultMode: config.archiveDefaultMode,
    retentionDays: config.archiveRetentionDays,
    sweepEveryMs: config.archiveSweepIntervalSec * 1000,
    defaultPage: config.archivePageSize,
    maxPage: config.archiveMaxPageSize,
  };
  return loadModules(defaultModules({ serverVersion, offlineQuota: config.offlineQuota, lookalikePolicy: config.lookalikePolicy, registry, archive, smResumeSec: config.smResumeTimeoutSec, pushIncludeBody: config.pushIncludeBody, profile: config, pep: { maxItems: config.pepMaxItems, maxItemBytes: config.pepMaxItemBytes, maxNodes: config.pepMaxNodes } }));
}
