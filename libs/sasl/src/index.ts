export type {
  ChannelBindingType,
  SaslContext,
  SaslFailureCondition,
  SaslSession,
  SaslStep,
  ScramCredential,
  ScramHash,
} from './types.ts';
export { deriveAllCredentials, deriveScramCredential } from './crypto.ts';
export { createSaslSession, offeredMechanisms } from './mechanisms.ts';
export { channelBindingTypesOffered } from './scram.ts';
export { serverEndPoint, tlsChannelBinding } from './tls-channel-binding.ts';
export {
  hashedTokenChannelBinding,
  hashedTokenInitial,
  hashedTokenKey,
  hashedTokenMechanisms,
  hashedTokenResponder,
  isHashedTokenMechanism,
  newHashedToken,
  parseHashedTokenInitial,
  verifyHashedToken,
} from './hashed-token.ts';
