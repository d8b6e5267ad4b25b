import { prepareDomainpart, prepareLocalpart, tryParseJid } from '@parley/jid';

/**
 * RFC 6120 §6.3.8: an authzid is a JID. Only the user's own bare JID (or its bare username) is
 * accepted; returns the canonical form, or null for anything else.
 */
export function acceptAuthzid(authzid: string, username: string, domain?: string): string | null {
  const ownDomain = domain === undefined ? undefined : prepareDomainpart(domain);
  if (!authzid.includes('@') && !authzid.includes('/')) {
    if (safe(() => prepareLocalpart(authzid)) !== username) return null;
    return ownDomain === undefined ? username : `${username}@${ownDomain}`;
  }
  const j = tryParseJid(authzid);
  if (j === null || j.resource !== null || j.local !== username) return null;
  if (ownDomain !== undefined && j.domain !== ownDomain) return null;
  return j.toString();
}

function safe(f: () => string): string | undefined {
  try {
    return f();
  } catch {
    return undefined;
  }
}
