import { loginHistoryRepo } from './login-history.ts';
import { offlineRepo } from './offline.ts';
import { lastActivityRepo } from './last-activity.ts';
import { mucRepo } from './muc.ts';
import { privacyRepo } from './privacy.ts';
import { rosterRepo } from './roster.ts';
import type { Sql } from './sql.ts';
import type { Store } from './types.ts';
import { userRepo } from './users.ts';

/** The repositories over one Sql (migrated with `migrate` first). */
export function createStore(sql: Sql): Store {
  return {
    users: userRepo(sql),
    roster: rosterRepo(sql),
    offline: offlineRepo(sql),
    privacy: privacyRepo(sql),
    lastActivity: lastActivityRepo(sql),
    loginHistory: loginHistoryRepo(sql),
    muc: mucRepo(sql),
    sql,
    close: () => sql.close(),
  };
}
