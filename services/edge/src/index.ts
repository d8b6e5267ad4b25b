export { loadTlsMaterial, type TlsMaterial } from './certs.ts';
export { buildEdgeService, type EdgeDeps, type EdgeService } from './edge.ts';
export { type Admission, admit } from './c2s/admission.ts';
export { unlockAccount } from './limits/brute-force.ts';
