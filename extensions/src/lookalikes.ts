// Impostor (look-alike) contacts: a subscription request or a message from a JID whose UTS #39 §4
// skeleton equals one of the recipient's contacts without being that contact (`paypa1@`, a Cyrillic
// `а`) is flagged. Policy 'warn' delivers it with a <lookalike/> annotation and sends the user one
// notice from the server; 'decline' declines a subscription request (RFC 6121 §3.2.1 `unsubscribed`) and
// refuses a message, and the notice says so. Account names themselves are kept apart by the store
// (migration 0012): two accounts of one domain never share a skeleton.
import { lookalikeAmong } from '@parley/confusables';
import { type ExtensionModule, HANDLED, PASS, refuse, rewrite } from '@parley/ext';
import { bareOf, tryParseJid } from '@parley/jid';
import { NS } from '@parley/stanza';
import type { Store } from '@parley/store';
import { type Element, xml } from '@parley/xml';

export const NS_LOOKALIKE = 'urn:parley:lookalike:0';
export type LookalikePolicy = 'warn' | 'decline';

export interface LookalikeOptions {
  policy: LookalikePolicy;
  /** How long the session actor trusts its copy of an account's contact list (roster changes happen in the presence actor). */
  contactsTtlMs?: number;
  /** Accounts whose contact lists are cached per process. */
  cachedAccounts?: number;
  now?: () => number;
}

/** The annotation on a flagged stanza: `of` names the contact it imitates. */
const annotation = (of: string) => xml('lookalike', { xmlns: NS_LOOKALIKE, of });

function notice(domain: string, owner: string, impostor: string, contact: string, what: 'message' | 'subscription request', declined: boolean): Element {
  const action = declined ? `was declined` : `was delivered, marked as a look-alike`;
  const body =
    `Warning: a ${what} from ${impostor} ${action}. ${impostor} looks like your contact ${contact} ` +
    '(Unicode characters that look alike) but is a different address. Check who it is before you answer.';
  return xml(
    'message',
    { xmlns: NS.client, from: domain, to: owner, type: 'normal', id: `lookalike-${Date.now().toString(36)}` },
    xml('subject', {}, 'Possible impostor'),
    xml('body', {}, body),
    xml('lookalike', { xmlns: NS_LOOKALIKE, of: contact, jid: impostor, declined: declined ? 'true' : 'false' }),
  );
}

/** Contacts of an account as the session actor sees them: a short-lived per-process copy of the roster. */
function contactCache(opts: Required<Pick<LookalikeOptions, 'contactsTtlMs' | 'cachedAccounts' | 'now'>>) {
  const cache = new Map<string, { at: number; contacts: Set<string> }>();
  return async (store: Store, owner: string): Promise<Set<string>> => {
    const hit = cache.get(owner);
    if (hit && opts.now() - hit.at < opts.contactsTtlMs) return hit.contacts;
    const { items } = await store.roster.get(owner);
    const contacts = new Set(items.filter((i) => i.subscription !== 'none' || i.ask !== null || !i.pendingIn).map((i) => i.contact));
    cache.delete(owner);
    cache.set(owner, { at: opts.now(), contacts });
    // Map order is insertion order: the first key is the least recently loaded.
    while (cache.size > opts.cachedAccounts) cache.delete(cache.keys().next().value as string);
    return contacts;
  };
}

export function lookalikes(options: LookalikeOptions): ExtensionModule {
  const contactsOf = contactCache({ contactsTtlMs: options.contactsTtlMs ?? 30_000, cachedAccounts: options.cachedAccounts ?? 10_000, now: options.now ?? Date.now });
  const decline = options.policy === 'decline';
  // One notice per impostor and account per process: the annotation marks every stanza, the notice is a heads-up.
  const noticed = new Set<string>();
  const firstNotice = (owner: string, impostor: string) => {
    const k = `${owner} ${impostor}`;
    if (noticed.has(k)) return false;
    if (noticed.size >= 100_000) noticed.clear();
    noticed.add(k);
    return true;
  };

  return {
    name: 'lookalikes',
    specs: ['UTS #39 §4', 'RFC 6121 §3.1.3', 'RFC 6121 §8'],
    session: {
      async beforeRoute({ env, key, stanza }) {
        if (stanza.name !== 'message') return PASS;
        const type = stanza.attr('type') ?? 'normal';
        if (type === 'error' || type === 'groupchat') return PASS;
        const from = tryParseJid(stanza.attr('from') ?? '');
        if (!from?.local) return PASS; // the server and services are not impostors
        const sender = from.bareString();
        if (sender === key) return PASS;
        const contacts = await contactsOf(env.store, key);
        if (contacts.has(sender)) return PASS;
        const imitated = lookalikeAmong(sender, contacts);
        if (imitated === undefined) return PASS;
        env.log.info('message from a look-alike of a contact', { owner: key, sender, imitated, declined: decline });
        if (firstNotice(key, sender)) await env.messageToBare(key, notice(env.domain, key, sender, imitated, 'message', decline), undefined);
        // RFC 6120 §8.3.3.9: not-acceptable — the recipient's policy does not take it.
        if (decline) return refuse('not-acceptable', 'the recipient does not accept messages from look-alikes of her contacts');
        const marked = stanza.clone();
        marked.children.push(annotation(imitated));
        return rewrite(marked);
      },
    },
    presence: {
      async inbound({ env, key, stanza, roster }) {
        if (stanza.attr('type') !== 'subscribe') return PASS;
        const sender = bareOf(stanza.attr('from') ?? '');
        if (!sender.includes('@') || roster.get(sender)) return PASS;
        const contacts = roster.items().filter((i) => i.subscription !== 'none' || i.ask !== null || !i.pendingIn).map((i) => i.contact);
        const imitated = lookalikeAmong(sender, contacts);
        if (imitated === undefined) return PASS;
        env.log.info('subscription request from a look-alike of a contact', { owner: key, sender, imitated, declined: decline });
        if (firstNotice(key, sender)) {
          env.tell('session', { kind: 'stanza', key, stanza: notice(env.domain, key, sender, imitated, 'subscription request', decline) });
        }
        if (decline) {
          // RFC 6121 §3.2.1: declining a request is an `unsubscribed` to the requester.
          env.tell('presence', { kind: 'presence-in', key: sender, stanza: xml('presence', { xmlns: NS.client, type: 'unsubscribed', from: key, to: sender }) });
          return HANDLED;
        }
        const marked = stanza.clone();
        marked.children.push(annotation(imitated));
        return rewrite(marked);
      },
    },
  };
}
