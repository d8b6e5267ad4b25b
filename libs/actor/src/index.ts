export type { ActorBehaviour, ActorHostOptions } from './host.ts';
export { ActorHost, MailboxFullError } from './host.ts';
export { serveShards } from './serve.ts';
