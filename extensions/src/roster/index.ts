// RFC 6121 §2 roster management, with versioning (§2.6) and pre-approval advertised (§3.4): the
// roster IQ on the presence actor, which owns the roster, and the pushes when an item changes.
import { randomBytes } from 'node:crypto';
import type { ExtensionModule, IqHandler, PresenceIqRequest } from '@parley/ext';
import { NS } from '@parley/stanza';
import { xml } from '@parley/xml';
import { itemElement, parseRosterSet, rosterQuery } from './xml.ts';

const visible = (i: { hidden?: boolean }) => i.hidden !== true;

const get: IqHandler<PresenceIqRequest> = {
  scope: ['server'],
  type: 'get',
  name: 'query',
  xmlns: NS.roster,
  handle: ({ payload, roster }) => {
    // §2.1.6: a resource that asked for the roster is interested, and gets pushes from now on.
    const ownResource = { rosterInterest: true };
    // §2.6.3: an unchanged roster is answered with an empty result.
    const ver = payload.attr('ver');
    if (ver !== undefined && ver === String(roster.version)) return { result: [], ownResource };
    return { result: [rosterQuery(roster.version, roster.items().filter(visible).map(itemElement))], ownResource };
  },
};

const set: IqHandler<PresenceIqRequest> = {
  scope: ['server'],
  type: 'set',
  name: 'query',
  xmlns: NS.roster,
  handle: async ({ payload, roster, key }) => {
    const req = parseRosterSet(payload, key);
    if (req.kind === 'error') return { error: req.condition, text: req.text };
    const current = roster.get(req.contact);
    if (req.kind === 'remove') {
      if (!current || !visible(current)) return { error: 'item-not-found' };
      await roster.remove(req.contact);
      return { result: [] };
    }
    const base = current ?? { contact: req.contact, name: null, subscription: 'none' as const, ask: null, pendingIn: false, approved: false, groups: [] };
    // §2.3.2: the push to every interested resource and the result. Stored first, so a refused
    // write (the shard moved, docs/decisions/0006) is never answered with a result.
    await roster.save({ ...base, name: req.name, groups: req.groups, hidden: false });
    return { result: [] };
  },
};

export const roster: ExtensionModule = {
  name: 'roster',
  specs: ['RFC 6121 §2', 'RFC 6121 §2.6', 'RFC 6121 §3.4'],
  storage: ['roster_items', 'roster_versions'],
  edge: {
    features: [
      { stage: 'after-auth', element: () => xml('ver', { xmlns: NS.rosterver }) },
      { stage: 'after-auth', element: () => xml('sub', { xmlns: NS.preApproval }) },
    ],
  },
  presence: {
    iq: [get, set],
    /** §2.1.6: roster pushes go to every interested resource. */
    async rosterChanged({ env, key, version, item }) {
      const interested = (await env.location.resources(key)).filter((r) => r.rosterInterest);
      for (const r of interested) {
        const push = xml('iq', { xmlns: NS.client, type: 'set', id: `push-${randomBytes(6).toString('hex')}`, to: r.jid }, rosterQuery(version, [itemElement(item)]));
        env.publish([r], push.toString(), false);
      }
    },
  },
};
