// Pushes of privacy changes to the account's own resources: blocklist pushes to the resources
// that asked for the blocklist (XEP-0191 §3.3-3.5), privacy list pushes to all (XEP-0016 §2.2 rule 10).
import { randomBytes } from 'node:crypto';
import type { PresenceEnv } from '@parley/ext';
import type { ResourceEntry } from '@parley/location';
import { NS } from '@parley/stanza';
import { type Element, xml } from '@parley/xml';
import { NS_PRIVACY } from './list-xml.ts';

function push(env: PresenceEnv, targets: ResourceEntry[], payload: Element): void {
  for (const r of targets) {
    const iq = xml('iq', { xmlns: NS.client, type: 'set', id: `push-${randomBytes(6).toString('hex')}`, to: r.jid }, payload.clone());
    env.publish([r], iq.toString(), false);
  }
}

/** XEP-0016 §2.2 rule 10: only the name of the changed list is pushed, to every connected resource. */
export async function pushListChanged(env: PresenceEnv, key: string, name: string): Promise<void> {
  push(env, await env.location.resources(key), xml('query', { xmlns: NS_PRIVACY }, xml('list', { name })));
}

/** XEP-0191 §3.3/§3.4: the block or unblock, to the resources that retrieved the blocklist. */
export async function pushBlocklist(env: PresenceEnv, key: string, payload: Element): Promise<void> {
  const [resources, policies] = await Promise.all([env.location.resources(key), env.store.privacy.policies([key])]);
  const sessions = policies.get(key)!.sessions;
  push(env, resources.filter((r) => sessions.get(r.conn)?.blocklistInterest), payload);
}
