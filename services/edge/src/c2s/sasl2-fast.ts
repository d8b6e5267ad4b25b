// FAST (XEP-0484) at the edge: the SASL2 inline feature, <request-token/> and <fast/> in
// <authenticate/>, token authentication as a SASL session over libs/sasl's hashed-token
// mechanisms, and issuing and rotating tokens (stored hashed, libs/store fastTokens).
import { prepareLocalpart } from '@parley/jid';
import {
  type ChannelBindingType,
  hashedTokenChannelBinding,
  hashedTokenMechanisms,
  hashedTokenResponder,
  newHashedToken,
  parseHashedTokenInitial,
  type SaslFailureCondition,
  type SaslSession,
  type SaslStep,
  verifyHashedToken,
} from '@parley/sasl';
import type { FastToken } from '@parley/store';
import { type Element, xml } from '@parley/xml';
import type { C2SConnection } from './connection.ts';
import type { Sasl2Request } from './sasl2.ts';

export const NS_FAST = 'urn:xmpp:fast:0';

/** The FAST parts of an <authenticate/>. */
export interface FastRequest {
  /** §3.2 <request-token mechanism=…/>: the mechanism the new token is for. */
  requestToken: string | null;
  /** §3.4 <fast count=…/>: replay counter. */
  count: number | null;
  /** §3.6 <fast invalidate='true'/>: log out this token. */
  invalidate: boolean;
  /** Set by FastSession on success: the token that authenticated (for rotation). */
  used: FastToken | null;
}

/** §3.1: the mechanisms a token can be used with on this connection, channel-binding ones first. */
export function fastFeature(cbTypes: ChannelBindingType[]): Element {
  return xml('fast', { xmlns: NS_FAST }, ...hashedTokenMechanisms(cbTypes).map((m) => xml('mechanism', null, m)));
}

/** A string is what is wrong with the request (answered malformed-request). */
export function parseFastRequest(el: Element, cbTypes: ChannelBindingType[]): FastRequest | string {
  const out: FastRequest = { requestToken: null, count: null, invalidate: false, used: null };
  const req = el.getChild('request-token', NS_FAST);
  if (req) {
    const m = req.attr('mechanism') ?? '';
    // §3.2: the mechanism MUST be one of those advertised.
    if (!hashedTokenMechanisms(cbTypes).includes(m)) return `request-token names no FAST mechanism offered here: "${m}"`;
    out.requestToken = m;
  }
  const fast = el.getChild('fast', NS_FAST);
  if (fast) {
    const count = fast.attr('count');
    if (count !== undefined) {
      if (!/^\d{1,15}$/.test(count)) return 'the FAST count must be a non-negative integer';
      out.count = Number(count);
    }
    const inv = fast.attr('invalidate');
    out.invalidate = inv === 'true' || inv === '1';
  }
  return out;
}

const failure = (condition: SaslFailureCondition, text?: string): SaslStep => (text ? { kind: 'failure', condition, text } : { kind: 'failure', condition });

/**
 * §3.4: authentication with a token, in one round trip. Tokens belong to one account and one
 * client (its user-agent id, §4.1) and to the mechanism they were issued for; the 'new' slot is
 * tried before 'current' (§5); a counter must grow; an expired token is credentials-expired (§4.2).
 */
export class FastSession implements SaslSession {
  private constructor(
    private readonly conn: C2SConnection,
    readonly mechanism: string,
    private readonly request: Sasl2Request,
  ) {}

  /** null when the mechanism is not a FAST one offered on this connection. */
  static create(conn: C2SConnection, mechanism: string, request: Sasl2Request, cbTypes: ChannelBindingType[]): FastSession | null {
    return hashedTokenMechanisms(cbTypes).includes(mechanism) ? new FastSession(conn, mechanism, request) : null;
  }

  async start(initial: Buffer | null): Promise<SaslStep> {
    const { ctx, transport } = this.conn;
    if (initial === null) return failure('malformed-request', 'a FAST mechanism needs an initial response');
    const parsed = parseHashedTokenInitial(initial);
    if (!parsed) return failure('malformed-request', 'not a hashed-token message');
    let username: string;
    try {
      username = prepareLocalpart(parsed.username);
    } catch {
      return failure('not-authorized');
    }
    const clientId = this.request.userAgent?.id;
    if (!clientId) return failure('not-authorized', 'FAST needs a user-agent id');
    const cbType = hashedTokenChannelBinding(this.mechanism);
    const cb = cbType ? transport.channelBinding(cbType) : Buffer.alloc(0);
    if (!cb) return failure('not-authorized');
    const domain = ctx.config.domain;
    const tokens = await ctx.store.fastTokens.candidates(username, domain, clientId);
    // §3.4: a token works only with the mechanism it was issued for; HMACs are compared in constant time.
    const match = tokens.find((t) => t.mechanism === this.mechanism && verifyHashedToken(Buffer.from(t.hash, 'base64'), cb, parsed.proof));
    if (!match) return failure('not-authorized');
    if (match.expiresAt.getTime() <= Date.now()) {
      await ctx.store.fastTokens.remove(username, domain, clientId, match.hash);
      // §4.2: a token no longer trusted fails with credentials-expired; the client falls back to its password.
      return failure('credentials-expired', 'the token has expired');
    }
    const use = await ctx.store.fastTokens.use(username, domain, clientId, match.hash, this.request.fast.count);
    if (use === 'replayed') return failure('not-authorized', 'the FAST count was already used');
    if (use === 'gone') return failure('not-authorized');
    if (this.request.fast.invalidate) {
      // §3.6: invalidated at once, and no rotated token (only an explicitly requested one).
      await ctx.store.fastTokens.remove(username, domain, clientId, match.hash);
    }
    this.request.fast.used = match;
    return { kind: 'success', username, data: hashedTokenResponder(Buffer.from(match.hash, 'base64'), cb) };
  }

  async step(): Promise<SaslStep> {
    return failure('malformed-request', 'FAST completes in one round trip');
  }
}

/**
 * §3.3 and §3.5: a token for the <success/>, when the client asked for one, or when the token it
 * used is in the second half of its life (rotation; the old one stays valid until the new one is
 * used). Null when none is due or the client gave no user-agent id (§4.1).
 */
export async function issueFastToken(conn: C2SConnection, username: string, request: Sasl2Request, userAgent: string | undefined): Promise<Element | null> {
  const { ctx } = conn;
  const lifetimeMs = ctx.config.fastTokenLifetimeSec * 1000;
  let mechanism = request.fast.requestToken;
  const { used, invalidate } = request.fast;
  if (!mechanism && used && !invalidate && used.expiresAt.getTime() - Date.now() < lifetimeMs / 2) mechanism = used.mechanism;
  if (!mechanism || !conn.transport.secure()) return null;
  const clientId = request.userAgent?.id;
  if (!clientId) {
    conn.log.info('FAST token requested without a user-agent id', { user: username });
    return null;
  }
  const { token, key } = newHashedToken();
  const expiresAt = new Date(Math.floor((Date.now() + lifetimeMs) / 1000) * 1000);
  const issued = await ctx.store.fastTokens.issue(
    username,
    ctx.config.domain,
    { clientId, hash: key.toString('base64'), mechanism, expiresAt, userAgent: userAgent ?? null },
    ctx.config.fastMaxClients,
  );
  if (!issued) return null;
  // §3.3: 'expiry' in the XEP-0082 DateTime profile.
  return xml('token', { xmlns: NS_FAST, expiry: expiresAt.toISOString().replace('.000Z', 'Z'), token });
}
