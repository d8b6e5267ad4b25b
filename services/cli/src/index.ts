export { type EmbeddedOverrides, type EmbeddedServer, openStore, startEmbedded } from './embedded.ts';
export { componentCommand } from './components.ts';
