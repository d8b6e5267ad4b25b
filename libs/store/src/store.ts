import { type ArchiveRepoOptions, archiveRepo } from './archive.ts';
import { clientCertRepo } from './client-certs.ts';
import { challengeRepo } from './challenges.ts';
import { invitationRepo } from './invitations.ts';
import { fastTokenRepo } from './fast-tokens.ts';
import { loginHistoryRepo } from './login-history.ts';
import { offlineRepo } from './offline.ts';
import { pepRepo } from './pep.ts';
import { lastActivityRepo } from './last-activity.ts';
import { mucRepo } from './muc.ts';
import { privacyRepo } from './privacy.ts';
import { pushRepo } from './push.ts';
import { directoryRepo, privateStorageRepo, uploadRepo, vcardRepo } from './profile.ts';
import { rosterRepo } from './roster.ts';
import type { Sql } from './sql.ts';
import type { Store } from './types.ts';
import { userRepo } from './users.ts';

export interface StoreOptions {
  archive?: ArchiveRepoOptions;
}

/** The repositories over one Sql (migrated with `migrate` first). */
export function createStore(sql: Sql, opts: StoreOptions = {}): Store {
  return {
    users: userRepo(sql),
    roster: rosterRepo(sql),
    offline: offlineRepo(sql),
    privacy: privacyRepo(sql),
    lastActivity: lastActivityRepo(sql),
    loginHistory: loginHistoryRepo(sql),
    vcards: vcardRepo(sql),
    privateStorage: privateStorageRepo(sql),
    directory: directoryRepo(sql),
    uploads: uploadRepo(sql),
    archive: archiveRepo(sql, opts.archive),
    invitations: invitationRepo(sql),
    challenges: challengeRepo(sql),
    fastTokens: fastTokenRepo(sql),
    push: pushRepo(sql),
    pep: pepRepo(sql),
    muc: mucRepo(sql),
    clientCerts: clientCertRepo(sql),
    sql,
    close: () => sql.close(),
  };
}
