export { type EmbeddedOverrides, type EmbeddedServer, openStore, startEmbedded } from './embedded.ts';
export { componentCommand } from './components.ts';
export { loadServerModules } from './modules.ts';
export { shareCachedPrivacy } from './privacy-cache.ts';
export { shareCachedArchivePrefs } from './archive-prefs-cache.ts';
