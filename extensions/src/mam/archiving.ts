// Writing the archive (XEP-0313 §5 what is archived, §6 preferences), with XEP-0359 stanza-ids,
// XEP-0424 retractions and XEP-0308 corrections. Runs at the session actor's 'message-accepted'
// point: the rows are written before the message is delivered and before the sender's hand-off is
// acknowledged, so an acknowledged message is in both archives.
import { type AcceptedMessage, PASS, type Pass, type Rewrite, rewrite, type SessionEnv } from '@parley/ext';
import { bareOf } from '@parley/jid';
import { NS } from '@parley/stanza';
import type { ArchiveMode, ArchivePrefs, NewArchiveEntry } from '@parley/store';
import { type Element, parseFragment, xml } from '@parley/xml';
import type { ArchiveMetrics } from './metrics.ts';
import { NS_CORRECT, NS_RETRACT, NS_SID } from './ns.ts';

/**
 * §5 (business rules): chat and normal messages with content a user reads later are kept — a body,
 * a retraction (XEP-0424 §5 requires it be stored), or an explicit XEP-0334 `<store/>` hint; never
 * errors, headlines, groupchat, bare chat states, carbons, or messages hinted `<no-store/>`/`<no-permanent-store/>`.
 */
export function archivable(stanza: Element): boolean {
  const type = stanza.attr('type') ?? 'normal';
  if (type !== 'chat' && type !== 'normal') return false;
  if (stanza.getChild('no-store', NS.hints) || stanza.getChild('no-permanent-store', NS.hints)) return false;
  if (stanza.getChild('received', NS.carbons) || stanza.getChild('sent', NS.carbons)) return false;
  if (stanza.getChild('result', 'urn:xmpp:mam:2')) return false;
  return stanza.getChild('body') !== undefined || stanza.getChild('retract', NS_RETRACT) !== undefined || stanza.getChild('store', NS.hints) !== undefined;
}

/**
 * §5.1.2 (MUC archives): a room keeps the groupchat messages it broadcasts that occupants read later
 * (a body), unless hinted `<no-store/>`/`<no-permanent-store/>` (XEP-0334); never a subject change
 * alone, and never private messages (those are not groupchat: they never reach this rule).
 */
export function archivableInRoom(stanza: Element): boolean {
  if (stanza.attr('type') !== 'groupchat') return false;
  if (stanza.getChild('no-store', NS.hints) || stanza.getChild('no-permanent-store', NS.hints)) return false;
  return stanza.getChild('body') !== undefined;
}

/** §6: `never` wins over `always`, then the default mode ('roster': the peer is on the roster). */
export async function allowed(env: SessionEnv, owner: string, peer: string, prefs: ArchivePrefs): Promise<boolean> {
  if (prefs.never.includes(peer)) return false;
  if (prefs.always.includes(peer) || peer === owner) return true;
  if (prefs.defaultMode === 'roster') return (await env.store.roster.getItem(owner, peer)) !== null;
  return prefs.defaultMode === 'always';
}

/**
 * XEP-0359 §5: a stanza-id claiming to be from the archive's owner is the server's to give; one
 * the sender made up is removed (for both archives involved).
 */
export function withoutForgedIds(stanza: Element, owners: string[]): Element {
  const forged = stanza.getChildren('stanza-id', NS_SID).filter((c) => owners.includes(c.attr('by') ?? ''));
  if (forged.length === 0) return stanza;
  const clean = stanza.clone();
  for (const f of clean.getChildren('stanza-id', NS_SID).filter((c) => owners.includes(c.attr('by') ?? ''))) clean.remove(f);
  return clean;
}

/**
 * XEP-0424 §5 tombstone: the body and anything else that could leak the content go; the envelope,
 * the origin-id (so clients match the retraction) and when it was retracted stay.
 */
export function tombstone(stored: string, at: Date): string {
  const old = parseFragment(stored);
  const attrs: Record<string, string> = {};
  for (const name of ['xmlns', 'from', 'to', 'type', 'id']) {
    const v = old.attr(name);
    if (v !== undefined) attrs[name] = v;
  }
  const kept = xml('message', attrs, xml('retracted', { xmlns: NS_RETRACT, stamp: at.toISOString() }));
  const originId = old.getChild('origin-id', NS_SID);
  if (originId) kept.append(originId.clone());
  return kept.toString();
}

/** What a row keeps of a message, whoever's archive it goes to. */
export function archivedContent(clean: Element, at: Date, handoff: string | undefined): Pick<NewArchiveEntry, 'ts' | 'msgId' | 'originId' | 'replaces' | 'body' | 'stanza' | 'handoff'> {
  return {
    ts: at,
    msgId: clean.attr('id') ?? null,
    originId: clean.getChild('origin-id', NS_SID)?.attr('id') ?? null,
    replaces: clean.getChild('replace', NS_CORRECT)?.attr('id') ?? null,
    body: clean.getChildText('body') ?? null,
    stanza: clean.clone().setAttr('xmlns', NS.client).toString(),
    handoff,
  };
}

export interface ArchiverOptions {
  defaultMode: ArchiveMode;
  now: () => Date;
  metrics?: ArchiveMetrics | null;
}

/** The 'message-accepted' hook: archive, tombstone what a retraction names, stamp the stanza-id. */
export function archiver(opts: ArchiverOptions): (m: AcceptedMessage) => Promise<Pass | Rewrite> {
  const prefsOf = async (env: SessionEnv, owner: string): Promise<ArchivePrefs> =>
    (await env.store.archive.getPrefs(owner)) ?? { defaultMode: opts.defaultMode, always: [], never: [] };

  return async ({ env, key, stanza, origin, handoff }) => {
    const fromAttr = stanza.attr('from');
    if (!fromAttr || !archivable(stanza)) return PASS;
    const sender = bareOf(fromAttr);
    // The sender's archive is ours to write only for a local account whose client sent it.
    const localSender = origin !== undefined && sender.endsWith(`@${env.domain}`) && sender !== key ? sender : null;
    const clean = withoutForgedIds(stanza, localSender ? [key, localSender] : [key]);
    const at = opts.now();

    const retract = clean.getChild('retract', NS_RETRACT)?.attr('id');
    if (retract) {
      // XEP-0424 §5: only the sender's own messages of this conversation are retracted.
      let n = await env.store.archive.retract(key, sender, 'in', retract, at, (s) => tombstone(s, at));
      if (localSender) n += await env.store.archive.retract(localSender, key, 'out', retract, at, (s) => tombstone(s, at));
      opts.metrics?.retracted.inc(n);
    }

    const base = archivedContent(clean, at, handoff);
    const entries: NewArchiveEntry[] = [];
    // A note to self is one row in one archive (sent), not two.
    const selfNote = sender === key;
    if (!selfNote && (await allowed(env, key, sender, await prefsOf(env, key)))) {
      entries.push({ ...base, owner: key, with: sender, peer: fromAttr, dir: 'in' });
    }
    const to = clean.attr('to') ?? key;
    const outOwner = localSender ?? (selfNote ? key : null);
    if (outOwner && (await allowed(env, outOwner, key, await prefsOf(env, outOwner)))) {
      entries.push({ ...base, owner: outOwner, with: key, peer: to, dir: 'out' });
    }
    if (entries.length === 0) return clean === stanza ? PASS : rewrite(clean);
    const ids = await env.store.archive.append(entries);
    for (const e of entries) opts.metrics?.written.inc({ dir: e.dir });
    // XEP-0359 §4: the recipient's copy carries the id it has in the recipient's archive.
    const mine = entries.findIndex((e) => e.owner === key);
    if (mine < 0) return clean === stanza ? PASS : rewrite(clean);
    const stamped = clean === stanza ? stanza.clone() : clean;
    stamped.append(xml('stanza-id', { xmlns: NS_SID, by: key, id: ids[mine]! }));
    return rewrite(stamped);
  };
}
