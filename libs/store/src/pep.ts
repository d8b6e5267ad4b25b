// Personal eventing (XEP-0163): nodes, items and explicit subscriptions of each account's pubsub
// service, and the cluster-wide entity-capabilities cache (XEP-0115 §5.4).
import type { Sql } from './sql.ts';

/** A node's configuration (XEP-0060 §16.4); the PEP module gives the fields their meaning. */
export type PepNodeConfig = Record<string, string | number | boolean | string[]>;
export type PepAffiliation = 'member' | 'publisher' | 'outcast';

export interface PepNode {
  node: string;
  config: PepNodeConfig;
  /** Bare JID → affiliation; the owner is implicit (XEP-0060 §4.1). */
  affiliations: Record<string, PepAffiliation>;
}

export interface PepItem {
  id: string;
  /** The serialized payload element. */
  payload: string;
  publisher: string;
  publishedAt: Date;
}

export interface PepRepo {
  getNode(owner: string, node: string): Promise<PepNode | null>;
  listNodes(owner: string): Promise<PepNode[]>;
  countNodes(owner: string): Promise<number>;
  /** false when the node already exists. */
  createNode(owner: string, node: string, config: PepNodeConfig): Promise<boolean>;
  /** Replaces the configuration; drops the oldest items above `maxItems` and returns their ids. */
  configureNode(owner: string, node: string, config: PepNodeConfig, maxItems: number): Promise<string[]>;
  setAffiliations(owner: string, node: string, affiliations: Record<string, PepAffiliation>): Promise<void>;
  /** Removes the node with its items and subscriptions; false when there was none. */
  deleteNode(owner: string, node: string): Promise<boolean>;
  /** Stores (or replaces, making it the newest) an item, then keeps only the newest `maxItems`; returns the ids dropped. */
  publish(owner: string, node: string, item: { id: string; payload: string; publisher: string }, maxItems: number): Promise<string[]>;
  /** false when there was no such item. */
  retract(owner: string, node: string, id: string): Promise<boolean>;
  /** Removes every item (XEP-0060 §8.5 purge). */
  purge(owner: string, node: string): Promise<void>;
  /** Newest first: all, the newest `max`, or those with the given ids. */
  items(owner: string, node: string, opts?: { max?: number; ids?: string[] }): Promise<PepItem[]>;
  subscribe(owner: string, node: string, jid: string): Promise<void>;
  /** false when there was no such subscription. */
  unsubscribe(owner: string, node: string, jid: string): Promise<boolean>;
  subscribers(owner: string, node: string): Promise<string[]>;
  /** XEP-0115: the features of a verified caps hash, or null when unknown. */
  capsGet(hash: string, ver: string): Promise<string[] | null>;
  capsPut(hash: string, ver: string, features: string[]): Promise<void>;
}

interface NodeRow {
  node: string;
  config: PepNodeConfig | string;
  affiliations: Record<string, PepAffiliation> | string;
}
const json = <T>(v: T | string): T => (typeof v === 'string' ? (JSON.parse(v) as T) : v);
const toNode = (r: NodeRow): PepNode => ({ node: r.node, config: json(r.config), affiliations: json(r.affiliations) });

export function pepRepo(sql: Sql): PepRepo {
  async function trim(tx: Sql, owner: string, node: string, maxItems: number): Promise<string[]> {
    const rows = await tx.query<{ item_id: string }>(
      `DELETE FROM pep_items WHERE owner = $1 AND node = $2 AND item_id IN (
         SELECT item_id FROM pep_items WHERE owner = $1 AND node = $2 ORDER BY seq DESC OFFSET $3)
       RETURNING item_id`,
      [owner, node, Math.max(0, maxItems)],
    );
    return rows.map((r) => r.item_id);
  }
  return {
    async getNode(owner, node) {
      const rows = await sql.query<NodeRow>('SELECT node, config, affiliations FROM pep_nodes WHERE owner = $1 AND node = $2', [owner, node]);
      return rows[0] ? toNode(rows[0]) : null;
    },
    async listNodes(owner) {
      const rows = await sql.query<NodeRow>('SELECT node, config, affiliations FROM pep_nodes WHERE owner = $1 ORDER BY node', [owner]);
      return rows.map(toNode);
    },
    async countNodes(owner) {
      const rows = await sql.query<{ n: number | string }>('SELECT count(*) AS n FROM pep_nodes WHERE owner = $1', [owner]);
      return Number(rows[0]?.n ?? 0);
    },
    async createNode(owner, node, config) {
      const rows = await sql.query('INSERT INTO pep_nodes (owner, node, config) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING node', [
        owner,
        node,
        JSON.stringify(config),
      ]);
      return rows.length > 0;
    },
    configureNode(owner, node, config, maxItems) {
      return sql.transaction(async (tx) => {
        await tx.query('UPDATE pep_nodes SET config = $3 WHERE owner = $1 AND node = $2', [owner, node, JSON.stringify(config)]);
        return trim(tx, owner, node, maxItems);
      });
    },
    async setAffiliations(owner, node, affiliations) {
      await sql.query('UPDATE pep_nodes SET affiliations = $3 WHERE owner = $1 AND node = $2', [owner, node, JSON.stringify(affiliations)]);
    },
    async deleteNode(owner, node) {
      const rows = await sql.query('DELETE FROM pep_nodes WHERE owner = $1 AND node = $2 RETURNING node', [owner, node]);
      return rows.length > 0;
    },
    publish(owner, node, item, maxItems) {
      return sql.transaction(async (tx) => {
        await tx.query(
          `INSERT INTO pep_items (owner, node, item_id, payload, publisher) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (owner, node, item_id) DO UPDATE
             SET payload = EXCLUDED.payload, publisher = EXCLUDED.publisher, published_at = now(), seq = nextval('pep_item_seq')`,
          [owner, node, item.id, item.payload, item.publisher],
        );
        return trim(tx, owner, node, maxItems);
      });
    },
    async retract(owner, node, id) {
      const rows = await sql.query('DELETE FROM pep_items WHERE owner = $1 AND node = $2 AND item_id = $3 RETURNING item_id', [owner, node, id]);
      return rows.length > 0;
    },
    async purge(owner, node) {
      await sql.query('DELETE FROM pep_items WHERE owner = $1 AND node = $2', [owner, node]);
    },
    async items(owner, node, opts = {}) {
      type Row = { item_id: string; payload: string; publisher: string; published_at: Date | string };
      let rows: Row[];
      if (opts.ids) {
        rows = await sql.query<Row>(
          'SELECT item_id, payload, publisher, published_at FROM pep_items WHERE owner = $1 AND node = $2 AND item_id = ANY($3::text[]) ORDER BY seq DESC',
          [owner, node, opts.ids],
        );
      } else {
        rows = await sql.query<Row>(
          `SELECT item_id, payload, publisher, published_at FROM pep_items WHERE owner = $1 AND node = $2 ORDER BY seq DESC${opts.max !== undefined ? ' LIMIT $3' : ''}`,
          opts.max !== undefined ? [owner, node, opts.max] : [owner, node],
        );
      }
      return rows.map((r) => ({ id: r.item_id, payload: r.payload, publisher: r.publisher, publishedAt: new Date(r.published_at) }));
    },
    async subscribe(owner, node, jid) {
      await sql.query('INSERT INTO pep_subscriptions (owner, node, jid) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [owner, node, jid]);
    },
    async unsubscribe(owner, node, jid) {
      const rows = await sql.query('DELETE FROM pep_subscriptions WHERE owner = $1 AND node = $2 AND jid = $3 RETURNING jid', [owner, node, jid]);
      return rows.length > 0;
    },
    async subscribers(owner, node) {
      const rows = await sql.query<{ jid: string }>('SELECT jid FROM pep_subscriptions WHERE owner = $1 AND node = $2 ORDER BY jid', [owner, node]);
      return rows.map((r) => r.jid);
    },
    async capsGet(hash, ver) {
      const rows = await sql.query<{ features: string[] }>('SELECT features FROM caps_features WHERE hash = $1 AND ver = $2', [hash, ver]);
      return rows[0]?.features ?? null;
    },
    async capsPut(hash, ver, features) {
      await sql.query('INSERT INTO caps_features (hash, ver, features) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [hash, ver, features]);
    },
  };
}
