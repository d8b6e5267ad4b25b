export type { LocationService, RegisterResult, ResourceEntry, ResourcePatch, ResumedSession, SmRecord } from './location.ts';
export { RESOURCE_PATCH_FIELDS } from './location.ts';
export { MemoryLocation } from './memory.ts';
export type { RedisLocationOptions } from './redis.ts';
export { RedisLocation } from './redis.ts';
