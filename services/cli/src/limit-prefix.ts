import type { ParleyConfig } from '@parley/config';

/** Redis key prefix of the shared abuse-limit state (rate buckets, login failures and locks; docs/security.md). */
export function limitPrefix(config: Pick<ParleyConfig, 'clusterName'>): string {
  return `${config.clusterName}:limit:`;
}
