// What an extension contributes to the client stream at the edge (ARCHITECTURE.md, Extensions):
// stream features, IQs the edge answers itself, and per-connection hooks.
import type { Jid } from '@parley/jid';
import type { LocationService, ResourceEntry, ResourcePatch } from '@parley/location';
import type { Logger } from '@parley/log';
import type { RateLimiter } from '@parley/ratelimit';
import type { SaslSession } from '@parley/sasl';
import type { Store } from '@parley/store';
import type { FastifyInstance } from 'fastify';
import type { StanzaErrorCondition, StreamErrorCondition } from '@parley/stanza';
import type { ActorService } from '@parley/subjects';
import type { ActorRequest } from '@parley/wire';
import type { Element } from '@parley/xml';

/** RFC 6120 §4.3.2: features are offered before authentication, or after it (with bind). */
export type FeatureStage = 'before-auth' | 'after-auth';

export interface StreamFeature {
  stage: FeatureStage;
  element(): Element;
}

/**
 * Negotiation stages at which an edge-local IQ is answered: `before-auth` is RFC 6120's pre-auth
 * stream (after TLS where it is required; XEP-0077 in-band registration), `before-bind` between
 * authentication and binding, `established` for IQs to the server or the sender's bare JID.
 */
export type LocalIqStage = 'before-auth' | 'before-bind' | 'established';

/** What an edge-local IQ handler may use of its connection and edge. */
export interface LocalIqContext {
  readonly stream: StreamApi;
  readonly domain: string;
  /** The client's address as limits count it: the IPv4 address, or the IPv6 /64. */
  readonly address: string;
  /** TLS is in place on this stream. */
  readonly secure: boolean;
  readonly store: Pick<Store, 'users' | 'invitations' | 'clientCerts'>;
  /** The edge's token buckets: shared through Redis in cluster mode, in memory otherwise. */
  readonly limiter: RateLimiter;
}

/** A reply, or a reply and what must follow it once it was written (e.g. closing the stream). */
export type LocalIqReply = Element | { reply: Element; after(): void };

/**
 * An IQ the edge answers without any actor, e.g. the legacy session IQ or XEP-0077 registration.
 * An asynchronous handler holds the connection's input until it answers, so stanzas stay in order.
 */
export interface LocalIq {
  type: 'get' | 'set';
  name: string;
  xmlns: string;
  stages: LocalIqStage[];
  /** The reply to send (a result or an error stanza). */
  handle(iq: Element, ctx: LocalIqContext): LocalIqReply | Promise<LocalIqReply>;
}

/** XEP-0388 §2.3: the client's user agent, when it sent one in SASL2 <authenticate/>. */
export interface UserAgentInfo {
  id: string | null;
  software: string | null;
  device: string | null;
}

/** How an account signed in on this connection (passed to `binding` and `bound`). */
export interface SignIn {
  user: string;
  mechanism: string;
  userAgent: UserAgentInfo | null;
  /** The user agent as one line (software on device [id]), or null without one. */
  client: string | null;
}

/** A failed sign-in attempt (RFC 6120 §6.5, XEP-0388 §2.6.2), brute-force refusals included. */
export interface SignInFailure {
  /** The authentication identity the client named (a localpart), or null when none could be read. */
  user: string | null;
  mechanism: string;
  /** The SASL condition, and its text when there is one (e.g. the account is locked). */
  reason: string;
  userAgent: UserAgentInfo | null;
}

/** A `binding` hook's answer: go on, or refuse the resource (RFC 6120 §7.6.2 stanza error; a Bind2 failure). */
export type BindVerdict = { readonly ok: true } | { readonly ok: false; readonly condition: StanzaErrorCondition; readonly text: string };
export const BIND_OK: BindVerdict = Object.freeze({ ok: true });

/** What a connection offers its extensions. */
export interface StreamApi {
  readonly id: string;
  readonly log: Logger;
  /** The bound full JID, or null before binding. */
  jid(): Jid | null;
  /** Write a non-stanza element (nonza) on the stream. */
  send(el: Element): void;
  streamError(condition: StreamErrorCondition, text?: string): void;
  isClosed(): boolean;
  /** Set fields of this connection's location entry (actors read them, e.g. `sm`, `carbons`). */
  patchEntry(patch: ResourcePatch): void;
  /** Deliveries kept for this connection (XEP-0198 outbox) were acknowledged by the client. */
  acknowledged(ids: string[]): void;
  readonly edgeId: string;
  readonly location: LocationService;
  /** The authenticated account's bare JID (from SASL on), or null before authentication. */
  account(): string | null;
  /** Stop reading the client's input until the returned function is called (an async step in negotiation). */
  holdInput(): () => void;
  /**
   * Become the connection of an existing session as `jid` without binding (XEP-0198 §5 resumption):
   * the connection joins the edge's deliverable connections at once, but deliveries are held until
   * `open(entry)` (with the session's location entry as moved here), which establishes the stream and
   * then writes them, after what the caller wrote itself. `cancel()` undoes it (the stream stays unbound).
   */
  attach(jid: Jid): { open(entry: ResourceEntry): void; cancel(): void };
  /**
   * Write a stanza the client has not acknowledged yet, once per delivery id (a resumed stream's
   * backlog, deliveries the bus lost); false when this delivery was written here already.
   */
  resend(xml: string, deliveryId: string): boolean;
  /** Write a stanza a module held back (XEP-0352); `stanzaOut` hooks see it, `outbound` ones do not. */
  release(xml: string, deliveryId: string | undefined): void;
  /** Close another connection of any edge with a stream error (e.g. a session taken over by resumption). */
  kick(entry: ResourceEntry, condition: StreamErrorCondition, text: string): void;
  /** Sessions that ended without their connection (a detached session whose window passed): tell the actors. */
  sessionsGone(entries: ResourceEntry[]): void;
  /** The client's address (never shown to other users: REQUIREMENTS.md, Privacy). */
  readonly remoteAddress: string;
  /** The edge's store, for modules that keep per-account records at sign-in. */
  readonly store: Pick<Store, 'loginHistory'>;
  /** A request to an actor, not awaited (e.g. a server message to the account's session actor). */
  tell(service: ActorService, msg: ActorRequest): void;
  /** What this connection signed in with, when its mechanism names it (a client certificate's fingerprint), else null. */
  credential(): string | null;
  /**
   * A credential was revoked: every stream that signed in with it, on any edge, is closed at once
   * (RFC 6120 §4.9.3.14 policy-violation, with `text`).
   */
  revokeCredential(credential: string, text: string): void;
}

/** What a module's SASL mechanism sees of a client connection (RFC 6120 §6). */
export interface SaslMechanismContext {
  readonly domain: string;
  /** TLS is in place on this stream. */
  readonly secure: boolean;
  /** The certificate (DER) the client presented in the TLS handshake, or null; nobody has judged it yet. */
  readonly clientCertificate: Buffer | null;
  readonly store: Pick<Store, 'users' | 'clientCerts'>;
  readonly log: Logger;
}

/** A SASL mechanism a module adds to those of libs/sasl (XEP-0178 EXTERNAL on a client certificate). */
export interface SaslMechanismOffer {
  readonly name: string;
  /**
   * Whether to offer it on this connection; asked (the client's input waits) each time the features
   * before authentication are sent. Offered mechanisms go first in `<mechanisms/>` and SASL2.
   */
  offered(ctx: SaslMechanismContext): Promise<boolean>;
  /** A session for one attempt, on a connection it was offered on; the brute-force gate wraps it. */
  session(ctx: SaslMechanismContext): SaslSession;
}

/** What a SASL2 inline request (`ConnectionHooks.sasl2Inline`) did. */
export interface Sasl2InlineOutcome {
  /** Put into `<success/>` (e.g. XEP-0198 `<resumed/>` or `<failed/>`); null for nothing. */
  element: Element | null;
  /**
   * The connection now carries an existing session (it called `api.attach`: XEP-0198 resumption),
   * so Bind2 is skipped and `<success/>` names the session's full JID.
   */
  session: boolean;
  /**
   * Run synchronously right after `<success/>` and the stream features were written, before any
   * other output (a resumed stream's backlog, then `attach().open`).
   */
  after?(): void;
}

/** Hooks of one extension on one connection; every method is optional. */
export interface ConnectionHooks {
  /** Elements in this namespace that are not stanzas (nonzas) go to `nonza`. */
  readonly xmlns?: string;
  nonza?(el: Element, bound: boolean): void;
  /**
   * A stanza was admitted from the client. The returned function, if any, is called once the
   * stanza was handled (accepted by its actor, or answered at the edge), in any order.
   */
  stanzaIn?(): (() => void) | undefined;
  /**
   * The idempotency key of the stanza just admitted (asked right after `stanzaIn`), when the module
   * numbers stanzas in a way that survives the connection (XEP-0198 §5: a resumed client resends what
   * it saw unacknowledged, and the actor recognises a stanza it already handled).
   */
  handOffId?(): string | undefined;
  /**
   * A stanza for the client, before it is written: `'hold'` keeps it back (the module writes it later
   * with `api.release`, e.g. XEP-0352 while the client is inactive).
   */
  outbound?(xml: string, deliveryId: string | undefined): 'hold' | undefined;
  /** A stanza was written to the client; `deliveryId` when an actor asked to keep it until acknowledged. */
  stanzaOut?(xml: string, deliveryId: string | undefined): void;
  /**
   * XEP-0386 §2.3: an element in `xmlns` inside a Bind2 `<bind/>`, run once the resource is bound
   * and before anything else can reach the connection (synchronously, so no stanza precedes the
   * SASL2 success). What it returns is put into `<bound/>` (e.g. XEP-0198 `<enabled/>`); null for nothing.
   */
  bindInline?(el: Element): Element | null;
  /**
   * XEP-0388 §2.3 inline request: an element in `xmlns` inside SASL2 `<authenticate/>` (other than
   * Bind2 and FAST), run once authentication succeeded and before Bind2, on the authenticated,
   * unbound connection (`api.account()` is set, `api.attach` allowed). See `Sasl2InlineOutcome`.
   */
  sasl2Inline?(el: Element): Promise<Sasl2InlineOutcome>;
  /** A stanza from the client on the established stream, before admission (nonzas and whitespace are not stanzas). */
  received?(el: Element): void;
  /** A sign-in attempt on this connection failed (sign-in history). */
  authFailed?(failure: SignInFailure): void;
  /**
   * Before a resource is bound for `jid` (RFC 6120 §7 bind or XEP-0386 Bind2), after authentication:
   * the first refusal stops the bind (e.g. a per-account session policy).
   */
  binding?(jid: Jid, signIn: SignIn): Promise<BindVerdict>;
  /** The resource is bound and the client was told (bind result, or SASL2 success): the session starts. */
  bound?(jid: Jid, signIn: SignIn): void;
  closed?(): void;
  /**
   * The bus between the actors and this edge was interrupted (this process, or another, got its
   * connection back): deliveries published meanwhile may never arrive. A module that keeps
   * deliveries outside the edge writes again those that never reached the client; resolves how many.
   */
  deliveriesMayBeLost?(): Promise<number>;
  /**
   * A bound connection ended (`clean`: the client closed its stream). Resolving true keeps the
   * session: the edge then neither announces it gone nor removes its location entry (XEP-0198 §5:
   * detached for resumption, or already taken over by another connection); the module owns its end.
   */
  ended?(clean: boolean): Promise<boolean> | undefined;
}

export interface EdgeContribution {
  features?: StreamFeature[];
  /** SASL mechanisms for client streams besides libs/sasl's (RFC 6120 §6 and XEP-0388 SASL2 alike). */
  sasl?: SaslMechanismOffer[];
  localIq?: LocalIq[];
  /**
   * XEP-0386 §2.1: namespaces of features a client may enable inside a Bind2 request, advertised as
   * `<feature var=…/>`; the module's connection hooks handle them in `bindInline`.
   */
  bind2Inline?: string[];
  /**
   * XEP-0388 §2.1: elements listed in the SASL2 `<inline/>` (besides Bind2 and FAST), e.g. XEP-0198
   * `<sm/>`; a request in the element's namespace inside `<authenticate/>` goes to the module's
   * connection hooks' `sasl2Inline`.
   */
  sasl2Inline?: Array<() => Element>;
  /** Called once per bound or unbound connection, when it is created. */
  connection?(api: StreamApi): ConnectionHooks;
  /**
   * Routes on the edge's HTTP port (the server that carries the WebSocket endpoint), registered in
   * their own encapsulated scope before it listens, e.g. XEP-0363 uploads. Cleanup goes in the app's onClose hook.
   */
  http?(app: FastifyInstance, env: HttpEnv): Promise<void>;
}

/** What an edge offers its modules' HTTP routes. */
export interface HttpEnv {
  readonly store: Pick<Store, 'uploads'>;
  readonly log: Logger;
}
