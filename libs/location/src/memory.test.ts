import { runLocationContract } from './contract.ts';
import { MemoryLocation } from './memory.ts';
import { runResumptionContract } from './resume-contract.ts';

runLocationContract('in-memory', async () => new MemoryLocation());
runResumptionContract('in-memory', async () => new MemoryLocation());
