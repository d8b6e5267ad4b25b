export * from './errors.ts';
export { NS } from './ns.ts';
