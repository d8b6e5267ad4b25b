// The pruned presence tree (ARCHITECTURE.md, Presence service; issue "Scale" item 1): for each online
// publisher, the edges that hold its interested online subscribers and which resources there. A status
// change then costs one bus message per interested edge and no per-subscriber location lookup.
//
// How the tree stays right without a lookup per change:
// - built from the location service the first time the publisher broadcasts while online (and again
//   after its actor moved or idled out: the tree is actor memory, never durable);
// - unpruned when a subscriber's resource becomes available: its actor, which reads its contacts'
//   locations for the RFC 6121 §4.2.2 probe answers anyway, tells each online contact ('presence-interest');
// - pruned when that resource becomes unavailable or goes (the same actor tells the contacts it told);
// - subscription changes (RFC 6121 §3) add or remove the contact's resources;
// - repaired when an edge reports that a tree delivery named connections it does not hold
//   ('presence-stale'), e.g. a subscriber that resumed on another edge or whose actor forgot whom it told;
// - dropped when the publisher's last resource goes unavailable, so a publisher that comes back rebuilds
//   it: subscribers that logged in meanwhile did not tell an offline publisher.
// Both sides write the location service before they read it (the publisher its availability, the
// subscriber its own), so of two concurrent logins at least one sees the other.
import { bareOf } from '@parley/jid';
import type { ResourceEntry } from '@parley/location';

export class InterestTree {
  /** edge → connection → subscriber resource. */
  private readonly edges = new Map<string, Map<string, ResourceEntry>>();
  /** connection → edge, to remove by connection. */
  private readonly where = new Map<string, string>();

  add(r: ResourceEntry): void {
    this.remove(r.conn);
    const here = this.edges.get(r.edge) ?? new Map<string, ResourceEntry>();
    here.set(r.conn, r);
    this.edges.set(r.edge, here);
    this.where.set(r.conn, r.edge);
  }

  remove(conn: string): ResourceEntry | undefined {
    const edge = this.where.get(conn);
    if (edge === undefined) return undefined;
    this.where.delete(conn);
    const here = this.edges.get(edge);
    const r = here?.get(conn);
    here?.delete(conn);
    if (here && here.size === 0) this.edges.delete(edge);
    return r;
  }

  /** Every resource of one subscriber (a bare JID), e.g. when its subscription ends. */
  removeContact(bare: string): void {
    for (const [conn, edge] of [...this.where]) {
      const r = this.edges.get(edge)?.get(conn);
      if (r && bareOf(r.jid) === bare) this.remove(conn);
    }
  }

  get(conn: string): ResourceEntry | undefined {
    const edge = this.where.get(conn);
    return edge === undefined ? undefined : this.edges.get(edge)?.get(conn);
  }

  targets(): ResourceEntry[] {
    const out: ResourceEntry[] = [];
    for (const here of this.edges.values()) for (const r of here.values()) out.push(r);
    return out;
  }

  get edgeCount(): number {
    return this.edges.size;
  }

  get size(): number {
    return this.where.size;
  }
}

/** Counters the wiring turns into metrics: cost per presence change (issue "Scale" item 1). */
export interface FanoutStats {
  /** Broadcasts of a resource's presence to its subscribers. */
  changes: number;
  /** Bus messages those broadcasts published (edge deliveries and relay hand-offs). */
  messages: number;
  /** Location-service reads by reason: `build` (tree built), `repair` (stale report), `roster` (subscription change), `own` (the publisher's own resources). */
  lookups: Record<'build' | 'repair' | 'roster' | 'own', number>;
  /** Interest notices sent to contacts' actors (unprune and prune). */
  notices: number;
}

export const emptyStats = (): FanoutStats => ({ changes: 0, messages: 0, lookups: { build: 0, repair: 0, roster: 0, own: 0 }, notices: 0 });
