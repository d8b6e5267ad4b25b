export { type EmbeddedOverrides, type EmbeddedServer, openStore, startEmbedded } from './embedded.ts';
