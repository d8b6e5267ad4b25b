export type { Sql } from './sql.ts';
export { openPglite } from './pglite.ts';
export { openPostgres, type PostgresOptions } from './postgres.ts';
export { migrate, defaultMigrationsDir } from './migrate.ts';
export { createStore } from './store.ts';
export { openScratchPostgres, DEFAULT_TEST_DATABASE_URL } from './scratch.ts';
export type {
  Store,
  StoredCredential,
  UserRepo,
  UserSummary,
  Subscription,
  RosterItem,
  RosterRepo,
  OfflineMessage,
  OfflineRepo,
  LoginRecord,
  LoginHistoryRepo,
  LastActivity,
  LastActivityRepo,
  PrivacyItem,
  PrivacyList,
  PrivacyPolicy,
  PrivacyRepo,
  PrivacySession,
  PrivacySessionPatch,
  PrivacyStanza,
} from './types.ts';
export { type CachedPrivacyRepo, cachedPrivacy, type PrivacyCacheOptions } from './privacy-cache.ts';
export type { MucAffiliation, MucAffiliationRecord, MucHistoryRecord, MucOccupantRecord, MucRepo, MucRoomRecord, MucRoomSummary } from './muc.ts';
