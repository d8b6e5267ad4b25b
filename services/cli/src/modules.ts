// The extension modules of this build, loaded the same way by embedded mode and by every cluster
// process (ARCHITECTURE.md, Extensions).
import { chatroomDomain, type ParleyConfig } from '@parley/config';
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
  return loadModules(defaultModules({ serverVersion, offlineQuota: config.offlineQuota, lookalikePolicy: config.lookalikePolicy, registry, archive, smResumeSec: config.smResumeTimeoutSec, pushIncludeBody: config.pushIncludeBody, profile: config, pep: { maxItems: config.pepMaxItems, maxItemBytes: config.pepMaxItemBytes, maxNodes: config.pepMaxNodes }, muc: mucOptions(config),
    contentMaxBodyChars: config.contentMaxBodyChars,
    contentWords: config.contentWordFilter?.split(',') ?? [],
    offlinePerSender: config.limitOfflinePerSender,
    signIns: config,
    registration: {
      newAccounts: !config.registrationEnabled ? 'off' : config.registrationOpen ? 'open' : 'invite',
      userInvites: config.registrationUserInvites,
      passwordMinLength: config.passwordMinLength,
      perAddressPerHour: config.registrationPerAddressPerHour,
      scramIterations: config.scramIterations,
    },
    challengeHoldDays: config.challengeHoldDays,
    certificates: { enabled: config.certAuth, days: config.certDays, passphrase: config.certCaPassphrase },
  }));
}

/** The chatroom settings as the muc module takes them. */
export function mucOptions(config: ParleyConfig) {
  return {
    service: chatroomDomain(config),
    creators: config.mucCreators,
    admins: config.mucAdmins ? config.mucAdmins.split(',').map((j) => j.trim().toLowerCase()) : [],
    maxRoomsPerUser: config.mucMaxRoomsPerUser,
    historySize: config.mucHistorySize,
    maxOccupants: config.mucMaxOccupants,
    maxUsersPresence: config.mucMaxUsersPresence,
    occupantRate: config.mucOccupantRate,
    roomRate: config.mucRoomRate,
  };
}
