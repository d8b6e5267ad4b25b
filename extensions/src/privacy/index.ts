export { BLOCKLIST_NAME, blocking } from './blocking.ts';
export { privacyEnforcement } from './enforce.ts';
export { NS_BLOCKING } from './policy.ts';
export { privacyLists } from './lists.ts';
export { invisibility, NS_INVISIBLE } from './invisibility.ts';
