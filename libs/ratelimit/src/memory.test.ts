import { failureLedgerContract, rateLimiterContract } from './contract.ts';
import { MemoryFailureLedger, MemoryRateLimiter } from './memory.ts';

rateLimiterContract('memory', async () => new MemoryRateLimiter());
failureLedgerContract('memory', async () => new MemoryFailureLedger());
