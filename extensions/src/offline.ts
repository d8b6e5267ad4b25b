// XEP-0160 offline storage: a message no resource can take is kept with a XEP-0203 delay stamp,
// and delivered when the account next sends available presence with non-negative priority.
import { type ExtensionModule, HANDLED, type SessionEnv } from '@parley/ext';
import { NS } from '@parley/stanza';
import type { Origin } from '@parley/wire';
import { type Element, xml } from '@parley/xml';

/** §4: only messages with content worth keeping are stored (not bare chat states). */
function hasStorableContent(stanza: Element): boolean {
  return stanza.getChildElements().some((c) => c.name === 'body' || c.name === 'subject' || c.getNS() === 'jabber:x:conference' || c.getNS() === 'http://jabber.org/protocol/muc#user');
}

async function flush(env: SessionEnv, key: string, target: Origin): Promise<void> {
  const messages = await env.store.offline.pop(key);
  if (messages.length === 0) return;
  const entry = (await env.location.resources(key)).find((r) => r.conn === target.conn);
  if (!entry) {
    // The session went away between presence and flush: put the messages back, in order.
    for (const m of messages) await env.store.offline.push(key, m.stanza, { maxPerUser: Number.MAX_SAFE_INTEGER });
    return;
  }
  for (const m of messages) await env.publish([entry], m.stanza, { id: `offline-${m.id}` });
}

export function offline(opts: { quota: number }): ExtensionModule {
  return {
    name: 'offline',
    specs: ['XEP-0160', 'XEP-0203'],
    disco: [{ on: ['server'], features: [NS.msgoffline] }],
    settings: ['offlineQuota'],
    storage: ['offline_messages'],
    session: {
      async undeliverable({ env, key, stanza, origin }) {
        // Not worth keeping (a chat state alone): dropped, which is what §4 asks for.
        if (!hasStorableContent(stanza)) return HANDLED;
        const kept = stanza.clone();
        kept.append(xml('delay', { xmlns: NS.delay, from: env.domain, stamp: new Date().toISOString() }));
        const r = await env.store.offline.push(key, kept.toString(), { maxPerUser: opts.quota });
        if (r === 'quota-exceeded') env.fail(stanza, origin, 'service-unavailable', 'the recipient cannot receive more offline messages');
        return HANDLED;
      },
      requests: { 'flush-offline': (msg, env) => flush(env, msg.key, msg.target) },
    },
    presence: {
      // §3: stored messages go to a resource that becomes available with non-negative priority.
      available({ env, key, origin, priority }) {
        if (priority >= 0) env.tell('session', { kind: 'flush-offline', key, target: origin });
      },
    },
  };
}
