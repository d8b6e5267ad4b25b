export type { Sql } from './sql.ts';
export { openPglite, type PgliteOptions } from './pglite.ts';
export { openPostgres, type PostgresOptions } from './postgres.ts';
export { isStoreUnreachable } from './unreachable.ts';
export { type ComponentRecord, type ComponentRepo, componentRepo } from './components.ts';
export { postgresHosts } from './postgres-hosts.ts';
export { migrate, defaultMigrationsDir } from './migrate.ts';
export { createStore, type StoreOptions } from './store.ts';
export { type ArchiveDirection, type ArchivedMessage, type ArchiveMode, type ArchivePage, type ArchivePrefs, type ArchiveQuery, type ArchiveRepo, newArchiveId, type NewArchiveEntry } from './archive.ts';
export type { AddCertOutcome, ClientCa, ClientCert, ClientCertRepo, ClientCertState, NewClientCert } from './client-certs.ts';
export type { PepAffiliation, PepItem, PepNode, PepNodeConfig, PepRepo } from './pep.ts';
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
  SignInSettings,
  FastToken,
  FastTokenRepo,
  LastActivity,
  LastActivityRepo,
  PrivacyItem,
  PrivacyList,
  PrivacyPolicy,
  PrivacyRepo,
  PrivacySession,
  PrivacySessionPatch,
  PrivacyStanza,
  PushRegistration,
  PushRepo,
} from './types.ts';
export { type Invitation, type InvitationKind, type InvitationRepo, invitationDigest, issueAccountInvitation, issueRosterInvitation, type IssuedInvitation } from './invitations.ts';
export type { AnswerDigest, ChallengeHold, ChallengeQuestion, ChallengeRepo, HoldState } from './challenges.ts';
export { type ArchivePrefsCacheOptions, type CachedArchiveRepo, cachedArchivePrefs } from './archive-prefs-cache.ts';
export { type CachedPrivacyRepo, cachedPrivacy, type PrivacyCacheOptions } from './privacy-cache.ts';
export type { DirectoryField, DirectoryRepo, DirectoryVisibility, PrivateStorageRepo, UploadRepo, UploadSlot, VcardRepo } from './profile.ts';
export type { MucAffiliation, MucAffiliationRecord, MucHistoryRecord, MucOccupantRecord, MucRepo, MucRoomRecord, MucRoomSummary } from './muc.ts';
