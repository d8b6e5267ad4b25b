// XEP-0115 entity capabilities: the <c/> of a client's presence names its feature set by a hash;
// the server asks the client once per unknown hash (§6.2), verifies it (§5.1, §5.4) and keeps the
// features: in Postgres for the cluster (a verified hash never changes meaning) and in memory.
import { createHash } from 'node:crypto';
import type { PepRepo } from '@parley/store';
import { NS } from '@parley/stanza';
import { type Element, parseFragment } from '@parley/xml';
import { NS_CAPS, NS_DATA } from './ns.ts';

export interface Caps {
  node: string;
  ver: string;
  /** The hash function's IANA name (sha-1, sha-256, …). */
  hash: string;
}

/** §4: the <c/> of a presence; legacy caps without a hash (§8.3) are not used. */
export function capsOf(presence: Element): Caps | null {
  const c = presence.getChild('c', NS_CAPS);
  const node = c?.attr('node');
  const ver = c?.attr('ver');
  const hash = c?.attr('hash');
  if (!node || !ver || !hash || !HASHES[hash]) return null;
  return { node, ver, hash };
}

export function capsOfSerialized(presence: string | undefined): Caps | null {
  if (!presence) return null;
  try {
    return capsOf(parseFragment(presence));
  } catch {
    return null;
  }
}

/** §5.1 / XEP-0300: the hash functions we can verify. */
const HASHES: Record<string, string> = { 'sha-1': 'sha1', 'sha-224': 'sha224', 'sha-256': 'sha256', 'sha-384': 'sha384', 'sha-512': 'sha512' };

const octets = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** §5.1: the verification string of a disco#info result; null when §5.4 says it must not be trusted. */
export function verificationString(query: Element): string | null {
  const identities = query.getChildren('identity').map((i) => `${i.attr('category') ?? ''}/${i.attr('type') ?? ''}/${i.attr('xml:lang') ?? ''}/${i.attr('name') ?? ''}`);
  const features = query.getChildren('feature').map((f) => f.attr('var') ?? '');
  // §5.4 3.5-3.6: duplicate identities or features make the result untrustworthy.
  if (new Set(identities).size !== identities.length || new Set(features).size !== features.length) return null;
  let s = '';
  for (const i of identities.sort(octets)) s += `${i}<`;
  for (const f of features.sort(octets)) s += `${f}<`;
  const forms: Array<{ type: string; fields: Array<{ name: string; values: string[] }> }> = [];
  for (const x of query.getChildren('x', NS_DATA)) {
    const typeField = x.getChildren('field').find((f) => f.attr('var') === 'FORM_TYPE');
    if (!typeField) continue; // §5.4 3.7: forms without FORM_TYPE are ignored
    if (typeField.attr('type') !== 'hidden') return null;
    const fields = x
      .getChildren('field')
      .filter((f) => f.attr('var') !== 'FORM_TYPE')
      .map((f) => ({ name: f.attr('var') ?? '', values: f.getChildren('value').map((v) => v.text()) }));
    forms.push({ type: typeField.getChildText('value') ?? '', fields });
  }
  if (new Set(forms.map((f) => f.type)).size !== forms.length) return null;
  for (const form of forms.sort((a, b) => octets(a.type, b.type))) {
    s += `${form.type}<`;
    for (const f of form.fields.sort((a, b) => octets(a.name, b.name))) {
      s += `${f.name}<`;
      for (const v of f.values.sort(octets)) s += `${v}<`;
    }
  }
  return s;
}

/** §5.1 step 8: base64 of the hash of the verification string. */
export function capsVer(query: Element, hash: string): string | null {
  const algo = HASHES[hash];
  const s = verificationString(query);
  if (!algo || s === null) return null;
  return createHash(algo).update(s, 'utf8').digest('base64');
}

/** What a disco#info result says, when it verifies against the caps it answered. */
export function verifiedFeatures(caps: Caps, result: Element): string[] | null {
  const query = result.getChild('query', NS.discoInfo);
  if (!query) return null;
  return capsVer(query, caps.hash) === caps.ver ? query.getChildren('feature').map((f) => f.attr('var') ?? '') : null;
}

/** Verified feature sets, in memory in front of the cluster-wide table. */
export class CapsCache {
  private readonly known = new Map<string, string[]>();
  /** Hashes asked about recently, so a client's every presence does not trigger a query (§6.2). */
  private readonly asked = new Map<string, number>();

  constructor(private readonly opts: { limit?: number; now?: () => number } = {}) {}

  async features(repo: PepRepo, caps: Caps): Promise<string[] | null> {
    const key = `${caps.hash} ${caps.ver}`;
    const hit = this.known.get(key);
    if (hit) return hit;
    const stored = await repo.capsGet(caps.hash, caps.ver);
    if (stored) this.remember(key, stored);
    return stored;
  }

  async put(repo: PepRepo, caps: Caps, features: string[]): Promise<void> {
    await repo.capsPut(caps.hash, caps.ver, features);
    this.remember(`${caps.hash} ${caps.ver}`, features);
  }

  /** True when this connection should be asked about this hash now (once per connection and hash, at most every 30 s). */
  shouldAsk(caps: Caps, conn: string): boolean {
    const now = (this.opts.now ?? Date.now)();
    const key = `${caps.hash} ${caps.ver} ${conn}`;
    const last = this.asked.get(key);
    if (last !== undefined && now - last < 30_000) return false;
    if (this.asked.size > 10_000) this.asked.clear();
    this.asked.set(key, now);
    return true;
  }

  private remember(key: string, features: string[]): void {
    if (this.known.size >= (this.opts.limit ?? 5000)) this.known.delete(this.known.keys().next().value as string);
    this.known.set(key, features);
  }
}
