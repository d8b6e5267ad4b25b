import { runLeaseStoreContract } from './lease-contract.ts';
import { MemoryLeaseStore } from './leases.ts';
import { openTestRedisStore } from './test-redis.ts';

runLeaseStoreContract('in-memory', async () => new MemoryLeaseStore());
runLeaseStoreContract('redis', () => openTestRedisStore());
