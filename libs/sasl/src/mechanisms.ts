import { PlainSession } from './plain.ts';
import { ScramSession, plusOffered } from './scram.ts';
import type { ChannelBindingType, SaslContext, SaslSession, ScramHash } from './types.ts';

const SCRAM: ReadonlyArray<[string, ScramHash]> = [
  ['SCRAM-SHA-512', 'SHA-512'],
  ['SCRAM-SHA-256', 'SHA-256'],
  ['SCRAM-SHA-1', 'SHA-1'],
];

/** Mechanism names for <mechanisms/>, strongest first; -PLUS only with channel-binding data at hand. */
export function offeredMechanisms(ctx: {
  tls: boolean;
  channelBindingTypes: ChannelBindingType[];
  plainAllowed?: boolean;
}): string[] {
  const out: string[] = [];
  if (ctx.tls && ctx.channelBindingTypes.length > 0) for (const [name] of SCRAM) out.push(`${name}-PLUS`);
  for (const [name] of SCRAM) out.push(name);
  // RFC 6120 §6.4.5 / RFC 4616 §6: PLAIN only over TLS.
  if (ctx.tls && ctx.plainAllowed !== false) out.push('PLAIN');
  return out;
}

/** A session for a mechanism this connection offers, or null (the caller answers invalid-mechanism). */
export function createSaslSession(mechanism: string, ctx: SaslContext): SaslSession | null {
  if (mechanism === 'PLAIN') {
    if (ctx.plainAllowed === false) return null;
    return new PlainSession(ctx); // answers encryption-required without TLS
  }
  for (const [name, hash] of SCRAM) {
    if (mechanism === name) return new ScramSession(hash, false, ctx);
    if (mechanism === `${name}-PLUS`) {
      if (!plusOffered(ctx)) return null;
      return new ScramSession(hash, true, ctx);
    }
  }
  return null;
}
