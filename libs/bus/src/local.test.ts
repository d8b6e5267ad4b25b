import { runBusContract } from './contract.ts';
import { LocalBus } from './local.ts';

runBusContract('in-process', async () => new LocalBus());
