// SASL2 (XEP-0388) on a client stream: the <authentication/> feature, <authenticate/> with its
// inline requests (Bind2 in bind2.ts, FAST in sasl2-fast.ts), challenges and responses, and the
// outcome without a stream restart (§2.6.1). The mechanisms are libs/sasl's, as for RFC 6120 SASL.
import { guardSasl } from '../limits/index.ts';
import { moduleSession } from './module-sasl.ts';
import type { EdgeExtensions, Sasl2InlineOutcome } from '@parley/ext';
import type { Jid } from '@parley/jid';
import { type ChannelBindingType, createSaslSession, isHashedTokenMechanism, offeredMechanisms, type SaslSession, type SaslStep } from '@parley/sasl';
import { NS } from '@parley/stanza';
import { type Element, xml } from '@parley/xml';
import { bind2Feature, completeBind2, reserveBind2 } from './bind2.ts';
import type { C2SConnection } from './connection.ts';
import { channelBindingTypes, featuresAfterAuth } from './header.ts';
import { FastSession, type FastRequest, fastFeature, issueFastToken, parseFastRequest } from './sasl2-fast.ts';
import { authFailed, signedIn } from './sign-in.ts';
import { type Authenticated, MAX_SASL_FAILURES } from './state.ts';

export const NS_SASL2 = 'urn:xmpp:sasl:2';

/** XEP-0388 §2.3: the client's stable id and its names, kept for the sign-in history. */
export interface UserAgent {
  id: string | null;
  software: string | null;
  device: string | null;
}

/** What the client asked for in <authenticate/> besides authentication. */
export interface Sasl2Request {
  userAgent: UserAgent | null;
  /** XEP-0386 Bind2 request, honoured once authenticated. */
  bind: Element | null;
  fast: FastRequest;
  /** §2.3 inline requests for the modules' SASL2 inline features (libs/ext `sasl2Inline`, e.g. XEP-0198 <resume/>). */
  inline: Element[];
}

export function isSasl2(el: Element): boolean {
  return el.is('authenticate', NS_SASL2);
}

/**
 * §2.1: the same mechanisms as <mechanisms/>, with the inline features: Bind2, and FAST over TLS
 * only (XEP-0484 §6: tokens are replayable on a cleartext stream). `cbTypes` null means no TLS.
 */
export function sasl2Feature(mechanisms: string[], cbTypes: ChannelBindingType[] | null, ext: EdgeExtensions): Element {
  const inline = xml('inline', null, bind2Feature(ext), cbTypes ? fastFeature(cbTypes) : null, ...ext.sasl2Inline());
  return xml('authentication', { xmlns: NS_SASL2 }, ...mechanisms.map((m) => xml('mechanism', null, m)), inline);
}

/** Where the brute-force gate (services/edge/src/limits) wraps every SASL2 session, FAST ones included. */
function guarded(conn: C2SConnection, session: SaslSession): SaslSession {
  return guardSasl(conn.ctx.limits.auth, session, conn.transport.remoteAddress);
}

/** An <authenticate/> in wait_for_feature_before_auth (§2.3). */
export function startSasl2(conn: C2SConnection, el: Element, saslFailures: number): void {
  const { ctx, transport } = conn;
  const mechanism = el.attr('mechanism') ?? '';
  const before = { saslFailures, mechanism };
  if (ctx.config.requireTls && !transport.secure()) {
    fail(conn, 'encryption-required', undefined, before);
    return;
  }
  const cbTypes = channelBindingTypes(transport);
  const parsed = parseRequest(el, cbTypes, ctx.ext);
  if (typeof parsed === 'string') {
    fail(conn, 'malformed-request', parsed, before);
    return;
  }
  const request = parsed;
  let session: SaslSession | null = null;
  if (isHashedTokenMechanism(mechanism)) {
    session = transport.secure() ? FastSession.create(conn, mechanism, request, cbTypes) : null;
  } else if (conn.moduleMechanisms.includes(mechanism)) {
    session = moduleSession(conn, mechanism);
  } else if (offeredMechanisms({ tls: transport.secure(), channelBindingTypes: cbTypes }).includes(mechanism)) {
    session = createSaslSession(mechanism, {
      tls: transport.secure(),
      channelBinding: (t) => transport.channelBinding(t),
      lookup: (username, hash) => ctx.store.users.getCredential(username, ctx.config.domain, hash),
      fakeSaltSecret: ctx.fakeSaltSecret,
      domain: ctx.config.domain,
      defaultIterations: ctx.config.scramIterations,
    });
  }
  if (!session) {
    fail(conn, 'invalid-mechanism', undefined, before);
    return;
  }
  session = guarded(conn, session);
  conn.setState({ name: 'wait_for_sasl2_response', session, mechanism, saslFailures, request });
  // §2.3: the initial response is optional; "=" inside it is an empty one.
  const text = el.getChildText('initial-response')?.trim() ?? null;
  const initial = text === null ? null : text === '' || text === '=' ? Buffer.alloc(0) : decodeBase64(text);
  if (initial === undefined) fail(conn, 'incorrect-encoding');
  else run(conn, session.start(initial));
}

/** An element in wait_for_sasl2_response (§2.4, §2.5). */
export function continueSasl2(conn: C2SConnection, el: Element, session: SaslSession): void {
  if (el.is('response', NS_SASL2)) {
    const text = el.text().trim();
    const data = text === '' || text === '=' ? Buffer.alloc(0) : decodeBase64(text);
    if (data === undefined) fail(conn, 'incorrect-encoding');
    else run(conn, session.step(data));
    return;
  }
  if (el.is('abort', NS_SASL2)) {
    fail(conn, 'aborted');
    return;
  }
  // §2.5: any other traffic during authentication disconnects the client.
  conn.streamError('not-authorized', 'authentication in progress');
}

function parseRequest(el: Element, cbTypes: ChannelBindingType[], ext: EdgeExtensions): Sasl2Request | string {
  const ua = el.getChild('user-agent');
  let userAgent: UserAgent | null = null;
  if (ua) {
    const id = ua.attr('id') ?? null;
    // §2.3: the id is an opaque stable identifier (a UUID is recommended); keep it bounded.
    if (id !== null && (id.length === 0 || id.length > 128)) return 'the user-agent id must be 1 to 128 characters';
    userAgent = { id, software: bounded(ua.getChildText('software')), device: bounded(ua.getChildText('device')) };
  }
  const fast = parseFastRequest(el, cbTypes);
  if (typeof fast === 'string') return fast;
  // §2.3: requests for inline features that were not offered are ignored.
  const offered = new Set(ext.sasl2Inline().map((f) => f.getNS()));
  const inline = el.getChildElements().filter((c) => offered.has(c.getNS()));
  return { userAgent, bind: el.getChild('bind', 'urn:xmpp:bind:0') ?? null, fast, inline };
}

const bounded = (s: string | null | undefined): string | null => (s ? s.trim().slice(0, 100) || null : null);

/** The user agent as one line of the sign-in history. */
function describeUserAgent(ua: UserAgent | null): string | undefined {
  if (!ua) return undefined;
  const names = [ua.software, ua.device ? `on ${ua.device}` : null].filter(Boolean).join(' ');
  return [names || null, ua.id ? `[${ua.id}]` : null].filter(Boolean).join(' ');
}

/** Hold input while the mechanism (and then the success work) runs, so elements are handled in order. */
function run(conn: C2SConnection, step: Promise<SaslStep>): void {
  conn.input.hold();
  step
    .then(async (s) => {
      if (conn.isClosed()) return;
      if (s.kind === 'challenge') {
        conn.send(xml('challenge', { xmlns: NS_SASL2 }, b64(s.data)));
        conn.input.release();
      } else if (s.kind === 'failure') fail(conn, s.condition, s.text, undefined, s.username);
      else if (await succeed(conn, s)) conn.input.release();
    })
    .catch((err) => {
      conn.log.error('sasl2 failure', { err });
      conn.streamError('internal-server-error');
    });
}

/** §2.6.1: token, bind, then <success/> and the features of the authenticated stream, all without a restart. */
async function succeed(conn: C2SConnection, step: Extract<SaslStep, { kind: 'success' }>): Promise<boolean> {
  const state = conn.state;
  if (state.name !== 'wait_for_sasl2_response') return false;
  const { ctx } = conn;
  const { mechanism, request, saslFailures } = state;
  const auth: Authenticated = { user: step.username, mechanism, ...(step.credential ? { credential: step.credential } : {}) };
  const client = describeUserAgent(request.userAgent);
  if (client) auth.client = client;
  if (request.userAgent) auth.userAgent = request.userAgent;
  // Asynchronous work first; the rest is synchronous so no stanza can precede <success/>.
  const token = await issueFastToken(conn, step.username, request, client);
  const inline = await runInline(conn, auth, request.inline);
  if (inline === null) return false;
  // A request that took over an existing session (XEP-0198 resumption) replaces binding.
  const resumed = inline.some((o) => o.session);
  let jid: Jid | null = resumed ? conn.jid : null;
  if (request.bind && !resumed) {
    const reserved = await reserveBind2(conn, auth, request.bind, request.userAgent?.id ?? null);
    if (!reserved.ok) {
      ctx.metrics.auth.inc({ result: 'failure', mechanism });
      conn.setState({ name: 'wait_for_feature_before_auth', saslFailures });
      conn.send(failureElement('temporary-auth-failure', reserved.text));
      return !conn.isClosed();
    }
    jid = reserved.jid;
  }
  if (conn.isClosed()) return false;
  ctx.metrics.auth.inc({ result: 'success', mechanism });
  const bound = jid && request.bind && !resumed ? completeBind2(conn, jid, auth, request.bind) : null;
  conn.send(
    xml(
      'success',
      { xmlns: NS_SASL2 },
      step.data?.length ? xml('additional-data', null, step.data.toString('base64')) : null,
      // §2.6.1: a full JID once a resource is bound (or a session resumed), the bare JID otherwise.
      xml('authorization-identifier', null, jid ? jid.toString() : `${step.username}@${ctx.config.domain}`),
      ...inline.flatMap((o) => (o.element ? [o.element] : [])),
      bound?.element ?? null,
      token,
    ),
  );
  // §2.6.1: <success/> is followed by the features of the authenticated stream.
  const features = conn.streamLevel(xml('stream:features'));
  if (bound || resumed) {
    // After Bind2 or a resumption: what may still be negotiated, not what was enabled or resumed inline.
    const done = new Set([...(bound?.inline ?? []), ...request.inline.map((e) => e.getNS() ?? '')]);
    for (const f of ctx.ext.features('after-auth')) if (!done.has(f.getNS() ?? '')) features.append(f);
  } else {
    for (const f of featuresAfterAuth(ctx.ext)) features.append(f);
    conn.setState({ name: 'wait_for_bind', auth });
  }
  conn.send(features);
  // What must follow <success/> at once (a resumed stream's unacknowledged stanzas).
  for (const o of inline) o.after?.();
  if (bound && jid) signedIn(conn, jid, auth);
  return true;
}

/**
 * §2.3: each inline request goes to the module that offered its namespace, in order, on the
 * authenticated and still unbound stream. Null when the connection closed meanwhile.
 */
async function runInline(conn: C2SConnection, auth: Authenticated, requests: Element[]): Promise<Sasl2InlineOutcome[] | null> {
  if (requests.length === 0) return [];
  const state = conn.state;
  // Authenticated, not bound: what XEP-0198 resumption requires of the stream.
  conn.setState({ name: 'wait_for_bind', auth });
  const outcomes: Sasl2InlineOutcome[] = [];
  for (const el of requests) {
    const hooks = conn.hooks.find((h) => h.xmlns === el.getNS() && h.sasl2Inline);
    if (!hooks?.sasl2Inline) continue;
    const outcome = await hooks.sasl2Inline(el);
    if (conn.isClosed()) return null;
    outcomes.push(outcome);
    if (outcome.session) break;
  }
  // Back to the SASL2 state the rest of the success expects (a failed bind returns to before-auth).
  if (!outcomes.some((o) => o.session)) conn.setState(state);
  return outcomes;
}

/** §2.6.2: a failure leaves the stream unauthenticated; retries are slowed and counted as for RFC 6120 SASL. */
function fail(conn: C2SConnection, condition: string, text?: string, before?: { saslFailures: number; mechanism: string }, user?: string): void {
  const state = conn.state;
  const { saslFailures, mechanism } = before ?? (state.name === 'wait_for_sasl2_response' ? state : { saslFailures: 0, mechanism: '' });
  conn.ctx.metrics.auth.inc({ result: 'failure', mechanism });
  const failures = saslFailures + 1;
  conn.log.info('authentication failed', { condition, mechanism, sasl2: true, ip: conn.transport.remoteAddress });
  const userAgent = state.name === 'wait_for_sasl2_response' ? state.request.userAgent : null;
  authFailed(conn, { user: user ?? null, mechanism, reason: text ? `${condition}: ${text}` : condition, userAgent });
  conn.setState({ name: 'wait_for_feature_before_auth', saslFailures: failures });
  const delay = Math.min(250 * 2 ** (failures - 1), 2000);
  conn.input.hold();
  setTimeout(() => {
    if (conn.isClosed()) return;
    conn.send(failureElement(condition, text));
    if (failures >= MAX_SASL_FAILURES) {
      conn.streamError('policy-violation', 'too many failed authentication attempts');
      return;
    }
    conn.input.release();
  }, delay).unref();
}

/** §2.6.2: one RFC 6120 §6.5 condition (in the SASL namespace) and an optional text. */
function failureElement(condition: string, text?: string): Element {
  return xml('failure', { xmlns: NS_SASL2 }, xml(condition, { xmlns: NS.sasl }), text ? xml('text', { 'xml:lang': 'en' }, text) : null);
}

function b64(data: Buffer): string {
  return data.length === 0 ? '=' : data.toString('base64');
}

/** Strict base64 (RFC 4648 §4), whitespace inside the element text ignored; anything else is incorrect-encoding. */
function decodeBase64(text: string): Buffer | undefined {
  const t = text.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(t) || t.length % 4 !== 0) return undefined;
  return Buffer.from(t, 'base64');
}
