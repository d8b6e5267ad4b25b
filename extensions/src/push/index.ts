// XEP-0357 push notifications: an account's clients enable or disable app servers (§5, §6), kept in
// Postgres; when a message with a body reaches a resource that cannot show it now — detached and
// waiting for resumption (XEP-0198 §5) or inactive (XEP-0352) — the account's app servers get a
// pubsub publish with the summary form (§7: message-count, last-message-sender; the body only when
// configured), from the account's bare JID.
import { randomBytes } from 'node:crypto';
import type { ExtensionModule, IqHandler, RoutedMessage, SessionEnv, SessionIqRequest } from '@parley/ext';
import { bareOf, tryParseJid } from '@parley/jid';
import type { ResourceEntry } from '@parley/location';
import { type Element, parseFragment, xml } from '@parley/xml';
import { Counter, type Registry } from 'prom-client';

export const NS_PUSH = 'urn:xmpp:push:0';
const NS_PUBSUB = 'http://jabber.org/protocol/pubsub';
const NS_DATA = 'jabber:x:data';
const SUMMARY = 'urn:xmpp:push:summary';

export interface PushOptions {
  /** §7: include `last-message-body` in the summary (off by default: app servers are third parties). */
  includeBody?: boolean;
  registry?: Registry;
}

const enable: IqHandler<SessionIqRequest> = {
  scope: ['server'],
  type: 'set',
  name: 'enable',
  xmlns: NS_PUSH,
  async handle({ env, from, payload }) {
    // §5: `jid` (the app server) and `node` are required; an optional publish-options form follows.
    const service = tryParseJid(payload.attr('jid') ?? '');
    const node = payload.attr('node');
    if (!service || !node) return { error: 'bad-request', text: 'enable needs a jid and a node' };
    const form = payload.getChild('x', NS_DATA);
    await env.store.push.enable(from.bareString(), { service: service.toString(), node, options: form ? form.toString() : null });
    return { result: [] };
  },
};

const disable: IqHandler<SessionIqRequest> = {
  scope: ['server'],
  type: 'set',
  name: 'disable',
  xmlns: NS_PUSH,
  async handle({ env, from, payload }) {
    // §6: without `node`, every node of that app server is disabled.
    const service = tryParseJid(payload.attr('jid') ?? '');
    if (!service) return { error: 'bad-request', text: 'disable needs a jid' };
    await env.store.push.disable(from.bareString(), service.toString(), payload.attr('node'));
    return { result: [] };
  },
};

/** A resource that will not show the message now: detached for resumption, or its client is inactive. */
const away = (r: ResourceEntry) => r.detached !== undefined || r.inactive === true;

export function push(opts: PushOptions = {}): ExtensionModule {
  const sent = opts.registry
    ? new Counter({ name: 'parley_push_notifications_total', help: 'XEP-0357 notifications published to app servers', labelNames: ['outcome'], registers: [opts.registry] })
    : null;
  /** Messages notified since the account last had a message shown live (the summary's message-count). */
  const pending = new Map<string, number>();

  const field = (name: string, value: string) => xml('field', { var: name }, xml('value', null, value));

  /** Where the app server's JID is served: a local account's resource (a component or federation is not there yet). */
  async function target(env: SessionEnv, service: string): Promise<ResourceEntry | null> {
    const jid = tryParseJid(service);
    if (!jid || jid.domain !== env.domain || !jid.local) return null;
    const rs = (await env.location.resources(bareOf(service))).filter((r) => r.detached === undefined);
    if (!jid.isBare()) return rs.find((r) => r.jid === service) ?? null;
    return rs.sort((a, b) => b.priority - a.priority)[0] ?? null;
  }

  async function notify(m: RoutedMessage): Promise<void> {
    const owner = m.key;
    const regs = await m.env.store.push.list(owner);
    if (regs.length === 0) return;
    const count = (pending.get(owner) ?? 0) + 1;
    pending.set(owner, count);
    const summary = xml('x', { xmlns: NS_DATA, type: 'submit' }, field('FORM_TYPE', SUMMARY), field('message-count', String(count)), field('last-message-sender', m.stanza.attr('from') ?? ''));
    const body = m.stanza.getChildText('body');
    if (opts.includeBody && body) summary.append(field('last-message-body', body));
    for (const reg of regs) {
      const to = await target(m.env, reg.service);
      if (!to) {
        sent?.inc({ outcome: 'unreachable' });
        m.env.log.info('push app server not reachable', { owner, service: reg.service });
        continue;
      }
      // §7: a pubsub publish to the node, with the publish-options the client gave (credentials for the app server).
      const pubsub = xml('pubsub', { xmlns: NS_PUBSUB }, xml('publish', { node: reg.node }, xml('item', null, xml('notification', { xmlns: NS_PUSH }, summary))));
      if (reg.options) pubsub.append(xml('publish-options', null, parseOptions(reg.options)));
      const iq = xml('iq', { type: 'set', from: owner, to: reg.service, id: `push-${randomBytes(6).toString('hex')}` }, pubsub);
      await m.env.publish([to], iq.toString());
      sent?.inc({ outcome: 'sent' });
    }
  }

  return {
    name: 'push',
    specs: ['XEP-0357'],
    settings: ['pushIncludeBody'],
    storage: ['push_registrations'],
    metrics: sent ? ['parley_push_notifications_total'] : [],
    // §4: the account (and the server, for clients that ask it) advertises the feature.
    disco: [{ on: ['own-account', 'server'], features: [NS_PUSH] }],
    session: {
      iq: [enable, disable],
      async afterMessage(m) {
        if (!m.stanza.getChild('body') || m.deliveredTo.length === 0) return;
        if (!m.deliveredTo.some(away)) {
          pending.delete(m.key);
          return;
        }
        await notify(m).catch((err: Error) => m.env.log.warn('push notification failed', { err: err.message, owner: m.key }));
      },
    },
  };
}

/** Stored as the client sent it (a data form); parsed back for the publish. */
function parseOptions(text: string): Element {
  return parseFragment(text);
}
