export type { Bus, BusError, BusHandler, Subscription } from './bus.ts';
export { busError } from './bus.ts';
export { LocalBus } from './local.ts';
