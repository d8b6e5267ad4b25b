// The session service: one actor per local account for messages and IQs addressed to it, and
// IQs the server answers on the account's behalf (ARCHITECTURE.md, Actors; RFC 6121 §8).
// Everything beyond routing comes from the loaded extension modules.
import { randomUUID } from 'node:crypto';
import { ActorHost, actorOutput, type Fence, isLocalAccount, patchOrigin, RoutingRecoveringError } from '@parley/actor';
import type { Bus } from '@parley/bus';
import { dispatchIq, type InboundStanza, type IqScope, type LoadedModules, type SessionEnv } from '@parley/ext';
import { addressOf, bareOf, type Jid, parseJid } from '@parley/jid';
import type { LocationService, ResourceEntry } from '@parley/location';
import type { Logger } from '@parley/log';
import { isStoreUnreachable, type Store } from '@parley/store';
import { actorSubject } from '@parley/subjects';
import type { ActorReply, ActorRequest, Origin, WireMessage } from '@parley/wire';
import type { Element } from '@parley/xml';
import { messageRouter } from './message.ts';

export interface SessionDeps {
  domain: string;
  bus: Bus<WireMessage>;
  location: LocationService;
  store: Store;
  log: Logger;
  modules: LoadedModules;
}

interface AccountState {
  exists: boolean;
}

/** Postgres away: a retry later for the sending edge, not a failure of the stanza. */
function retryIfStoreAway(err: unknown): never {
  throw isStoreUnreachable(err) ? new RoutingRecoveringError(`the store is unreachable: ${(err as Error).message}`) : err;
}

export function createSessionHost(deps: SessionDeps): ActorHost<AccountState, ActorRequest, void> {
  return createSession(deps).host;
}

/** The actor host and the environment it gives the modules (periodic tasks run with it too). */
export function createSession(deps: SessionDeps): { host: ActorHost<AccountState, ActorRequest, void>; env: SessionEnv } {
  const { domain, location, log, modules } = deps;
  const out = actorOutput(deps.bus);
  const { hooks, iq: iqTable } = modules.session;
  const beforeDeliver = hooks.flatMap((h) => (h.beforeDeliver ? [h.beforeDeliver.bind(h)] : []));
  const beforeRoute = hooks.flatMap((h) => (h.beforeRoute ? [h.beforeRoute.bind(h)] : []));
  const recipients = hooks.flatMap((h) => (h.recipients ? [h.recipients.bind(h)] : []));
  const responseHooks = hooks.flatMap((h) => (h.response ? [h.response.bind(h)] : []));
  const remoteOutbound = hooks.flatMap((h) => (h.remoteOutbound ? [h.remoteOutbound.bind(h)] : []));

  const env: SessionEnv = {
    domain,
    location,
    store: deps.store,
    log,
    async publish(recipients, xml, opts = {}) {
      if (recipients.length === 0) return;
      const delivery = { recipients, xml, id: opts.id ?? randomUUID(), stampRecipient: opts.stampRecipient === true };
      for (const hook of beforeDeliver) {
        const wait = hook(delivery, env);
        if (wait) await wait;
      }
      out.publish(recipients, xml, { id: delivery.id, stampRecipient: delivery.stampRecipient });
    },
    answer: out.answer,
    fail: out.fail,
    messageToBare: (key, stanza, origin) => messages.toBare(key, stanza, origin),
    tell: (service, msg) => out.tell(service, msg, (err) => log.warn('actor request failed', { err: err.message, service, kind: msg.kind })),
  };
  const messages = messageRouter(env, hooks);

  const runIq = (scope: IqScope, iq: Element, from: Jid, to: Jid, origin: Origin | undefined) =>
    dispatchIq(iqTable, scope, iq, (payload) => ({ domain, from, to, payload, iq, env, origin, disco: modules.disco, discoNodes: modules.session.discoNodes }), {
      answer: (el) => out.answer(origin, el),
      fail: (condition, text, app) => out.fail(iq, origin, condition, text, app),
      patchOwn: (patch) => (origin ? patchOrigin(deps.bus, location, origin, patch) : Promise.resolve()),
    });

  /** 'before-route' hooks: each may pass, handle (drop), refuse with an error, or rewrite. */
  async function admitted(s: InboundStanza): Promise<Element | null> {
    let stanza = s.stanza;
    for (const hook of beforeRoute) {
      const r = await hook({ ...s, stanza });
      if (r.kind === 'handled') return null;
      if (r.kind === 'error') {
        out.fail(stanza, s.origin, r.condition, r.text);
        return null;
      }
      if (r.kind === 'rewrite') stanza = r.stanza;
    }
    return stanza;
  }

  /**
   * 'recipients' hooks: the resources this stanza may reach (undefined when no module narrows
   * them), or null when a hook refused or dropped it.
   */
  async function reachable(s: InboundStanza, known?: ResourceEntry[]): Promise<ResourceEntry[] | null | undefined> {
    if (recipients.length === 0) return undefined;
    // Nothing has happened to the stanza yet: an unreachable location service makes the edge retry.
    let resources =
      known ??
      (await location.resources(s.key).catch((err: Error) => {
        throw new RoutingRecoveringError(`location service unreachable: ${err.message}`);
      }));
    for (const hook of recipients) {
      const r = await hook({ ...s, resources });
      if (r.kind === 'handled') return null;
      if (r.kind === 'error') {
        out.fail(s.stanza, s.origin, r.condition, r.text, r.appCondition);
        return null;
      }
      resources = r.resources;
    }
    return resources;
  }

  /**
   * 'remote-outbound' hooks (the sender's privacy lists, XEP-0016 §2.14 / XEP-0191 §3.3), then the
   * federation service, keyed by the domain so stanzas to one domain keep their order.
   */
  async function toRemote(key: string, stanza: Element, origin: Origin | undefined, remote: string, id?: string): Promise<void> {
    for (const hook of remoteOutbound) {
      const r = await hook({ env, key, stanza, origin });
      if (r.kind === 'handled') return;
      if (r.kind === 'error') return out.fail(stanza, origin, r.condition, r.text, r.appCondition);
    }
    const reply = (await deps.bus.request(actorSubject('s2s', remote), { kind: 'stanza', key: remote, stanza, origin, id }, { timeoutMs: 10_000 }).catch(() => null)) as ActorReply | null;
    if (!reply?.ok) out.fail(stanza, origin, 'resource-constraint', 'the server is busy, try again');
  }

  async function handleStanza(state: AccountState, key: string, original: Element, origin: Origin | undefined, id?: string, fence?: Fence): Promise<void> {
    const fromAttr = original.attr('from');
    if (!fromAttr) return;
    const from = parseJid(fromAttr);
    const to = addressOf(original.attr('to'), bareOf(fromAttr), domain);
    if (to.kind === 'remote') {
      // A client's message or IQ to another domain comes to the sender's own actor (admission.ts).
      if (key === from.bareString()) await toRemote(key, original, origin, to.domain, id);
      return;
    }
    if (to.kind === 'server' || (to.kind === 'own-bare' && original.name === 'iq')) {
      const type = original.attr('type');
      // Answers to IQs a module sent on the account's behalf (XEP-0115 §6.2 disco#info of a client).
      if (original.name === 'iq' && (type === 'result' || type === 'error')) {
        for (const h of responseHooks) if ((await h({ env, key, stanza: original, origin })).kind === 'handled') return;
        return;
      }
      if (original.name === 'iq') await runIq('server', original, from, to.kind === 'server' ? parseJid(domain) : from.bare, origin);
      // A message to the server itself: nothing here consumes it (RFC 6121 §8.5.1 lets us refuse it).
      else if (original.name === 'message') out.fail(original, origin, 'service-unavailable');
      return;
    }
    // From here on, the stanza is addressed to this account (key).
    if (!state.exists) {
      // RFC 6121 §8.5.1: no such account. Presence is ignored; messages and IQs get service-unavailable.
      if (original.name !== 'presence') out.fail(original, origin, 'service-unavailable');
      return;
    }
    const stanza = beforeRoute.length ? await admitted({ env, key, stanza: original, origin }) : original;
    if (!stanza) return;
    // A message's recipient and the modules' lookups (carbons: the sender) come in one location
    // round trip, shared by the 'recipients' hooks and the routing.
    const where = stanza.name === 'message' ? await messages.locate(key, stanza, origin) : undefined;
    const visible = await reachable({ env, key, stanza, origin }, where?.get(key));
    if (visible === null) return;
    const full = to.kind === 'full' ? to.full : null;
    if (stanza.name === 'message') {
      await messages.route(key, stanza, origin, full, id, fence, visible, where);
      return;
    }
    if (stanza.name !== 'iq') return;
    const type = stanza.attr('type');
    if (full) {
      const r = (visible ?? (await location.resources(key))).find((e) => e.jid === full);
      if (r) await env.publish([r], stanza.toString(), { id });
      else if (type === 'get' || type === 'set') out.fail(stanza, origin, 'service-unavailable'); // §8.5.3.2.3
      return;
    }
    // §8.5.2.1.3: the server answers IQs to the bare JID on the account's behalf.
    if (type === 'get' || type === 'set') await runIq('account', stanza, from, parseJid(key), origin);
  }

  const host = new ActorHost<AccountState, ActorRequest, void>(
    {
      activate: async (key) => ({
        exists: await isLocalAccount(key, domain, deps.store.users).catch(retryIfStoreAway),
      }),
      handle: async (state, msg, key, ctx) => {
        if (msg.kind === 'stanza') {
          // Postgres away (stopped, failing over): the sending edge holds the stanza and retries it
          // within its budget, then answers resource-constraint (wait), rather than the sender being
          // told internal-server-error at once. A retry is delivered once: deliveries carry the
          // hand-off id, which the receiving edge remembers per connection.
          await handleStanza(state, key, msg.stanza, msg.origin, msg.id, ctx.fence).catch(retryIfStoreAway);
          return;
        }
        if (msg.kind === 'resource-gone') {
          for (const h of hooks) await h.resourceGone?.({ env, key, jid: msg.jid, conn: msg.conn });
          return;
        }
        const served = hooks.find((h) => h.requests?.[msg.kind]);
        if (!served) {
          log.warn('session actor got a request no module serves', { kind: msg.kind });
          return;
        }
        await (served.requests![msg.kind] as (m: ActorRequest, e: SessionEnv) => Promise<void>)(msg, env);
      },
    },
    { onError: (err, key) => log.error('session actor failure', { err, key }) },
  );
  return { host, env };
}
