// The extension modules of this build, loaded the same way by embedded mode and by every cluster
// process (ARCHITECTURE.md, Extensions).
import type { ParleyConfig } from '@parley/config';
import { type LoadedModules, loadModules } from '@parley/ext';
import { defaultModules } from '@parley/extensions';
import type { Registry } from 'prom-client';
import { serverVersion } from './paths.ts';

export function loadServerModules(config: ParleyConfig, registry: Registry): LoadedModules {
  return loadModules(
    defaultModules({
      serverVersion,
      offlineQuota: config.offlineQuota,
      registry,
      contentMaxBodyChars: config.contentMaxBodyChars,
      contentWords: config.contentWordFilter?.split(',') ?? [],
      offlinePerSender: config.limitOfflinePerSender,
    }),
  );
}
