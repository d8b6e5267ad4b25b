export { loadTlsMaterial, type TlsMaterial } from './certs.ts';
export { buildEdgeService, type EdgeDeps, type EdgeService, listen } from './edge.ts';
export { type Admission, admit } from './c2s/admission.ts';
export { unlockAccount } from './limits/brute-force.ts';
// The pieces a server-to-server stream shares with client streams (services/s2s): sockets behind
// the transport interface and the hardened, rate-limited input.
export { type PeerCertificateInfo, SocketTransport, type TlsRole } from './transport/tcp.ts';
export type { Transport, TransportEvents } from './transport/transport.ts';
export { Input, type InputEvents } from './c2s/input.ts';
