import { runLocationContract } from './contract.ts';
import { MemoryLocation } from './memory.ts';

runLocationContract('in-memory', async () => new MemoryLocation());
