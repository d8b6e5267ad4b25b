export { buildS2SService, type S2SDeps, type S2SService } from './service.ts';
export { type Resolver, resolver } from './resolve.ts';
export { s2sSettings } from './settings.ts';
export { verifyPeer, type Verdict } from './verify.ts';
export { type ServerKeys, serverKeys } from './server-secret.ts';
export { handshakeDigest, NS_COMPONENT } from './component/stream.ts';
