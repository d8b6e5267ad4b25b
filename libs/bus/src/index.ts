export type { Bus, BusError, BusHandler, Subscription } from './bus.ts';
export { busError } from './bus.ts';
export { LocalBus } from './local.ts';
export type { BusCodec, NatsBusOptions } from './nats.ts';
export { connectNatsBus } from './nats.ts';
