export { loadTlsMaterial, type TlsMaterial } from './certs.ts';
export { buildEdgeService, type EdgeDeps, type EdgeService } from './edge.ts';
export { routeFor } from './route.ts';
