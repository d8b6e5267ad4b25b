import type { Sql } from './sql.ts';
import type { RosterItem, RosterRepo, Subscription } from './types.ts';

interface ItemRow {
  contact: string;
  name: string | null;
  subscription: Subscription;
  ask: 'subscribe' | null;
  pending_in: boolean;
  approved: boolean;
  hidden: boolean;
  groups: string[];
}

const ITEM_COLUMNS = 'contact, name, subscription, ask, pending_in, approved, hidden, groups';

/** Thrown inside a transaction to roll it back when there is nothing to remove. */
class NothingToRemove extends Error {}

export function rosterRepo(sql: Sql): RosterRepo {
  return {
    async get(owner) {
      // One statement, so the version and the items come from the same snapshot.
      const rows = await sql.query<ItemRow & { version: number | string | null }>(
        `SELECT v.version, i.contact, i.name, i.subscription, i.ask, i.pending_in, i.approved, i.hidden, i.groups
         FROM (SELECT $1::text AS owner) o
         LEFT JOIN roster_versions v ON v.owner = o.owner
         LEFT JOIN roster_items i ON i.owner = o.owner
         ORDER BY i.contact`,
        [owner],
      );
      const version = Number(rows[0]?.version ?? 0);
      const items = rows.filter((r) => r.contact !== null).map(toItem);
      return { version, items };
    },

    async getItem(owner, contact) {
      const rows = await sql.query<ItemRow>(
        `SELECT ${ITEM_COLUMNS} FROM roster_items WHERE owner = $1 AND contact = $2`,
        [owner, contact],
      );
      const r = rows[0];
      return r ? toItem(r) : null;
    },

    upsert(owner, item) {
      return sql.transaction(async (tx) => {
        const version = await bumpVersion(tx, owner);
        await tx.query(
          `INSERT INTO roster_items (owner, contact, name, subscription, ask, pending_in, approved, hidden, groups)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::text[])
           ON CONFLICT (owner, contact) DO UPDATE SET
             name = EXCLUDED.name, subscription = EXCLUDED.subscription, ask = EXCLUDED.ask,
             pending_in = EXCLUDED.pending_in, approved = EXCLUDED.approved, hidden = EXCLUDED.hidden, groups = EXCLUDED.groups`,
          [
            owner,
            item.contact,
            item.name,
            item.subscription,
            item.ask,
            item.pendingIn,
            item.approved,
            item.hidden === true,
            [...new Set(item.groups)],
          ],
        );
        return version;
      });
    },

    async remove(owner, contact) {
      try {
        return await sql.transaction(async (tx) => {
          const version = await bumpVersion(tx, owner);
          const rows = await tx.query('DELETE FROM roster_items WHERE owner = $1 AND contact = $2 RETURNING contact', [
            owner,
            contact,
          ]);
          if (rows.length === 0) throw new NothingToRemove();
          return version;
        });
      } catch (err) {
        if (err instanceof NothingToRemove) return null;
        throw err;
      }
    },

    async subscribers(owner) {
      const rows = await sql.query<{ contact: string }>(
        `SELECT contact FROM roster_items WHERE owner = $1 AND subscription IN ('from', 'both') ORDER BY contact`,
        [owner],
      );
      return rows.map((r) => r.contact);
    },

    async subscriptions(owner) {
      const rows = await sql.query<{ contact: string }>(
        `SELECT contact FROM roster_items WHERE owner = $1 AND subscription IN ('to', 'both') ORDER BY contact`,
        [owner],
      );
      return rows.map((r) => r.contact);
    },
  };
}

/**
 * Takes the owner's version row lock first, so every change to one roster is serialised in the same
 * lock order (no deadlock between an upsert and a remove), and returns the next version.
 */
async function bumpVersion(tx: Sql, owner: string): Promise<number> {
  const rows = await tx.query<{ version: number | string }>(
    `INSERT INTO roster_versions (owner, version) VALUES ($1, nextval('roster_version_seq'))
     ON CONFLICT (owner) DO UPDATE SET version = nextval('roster_version_seq')
     RETURNING version`,
    [owner],
  );
  return Number(rows[0]!.version);
}

function toItem(r: ItemRow): RosterItem {
  return {
    contact: r.contact,
    name: r.name,
    subscription: r.subscription,
    ask: r.ask,
    pendingIn: r.pending_in,
    approved: r.approved,
    hidden: r.hidden,
    groups: r.groups,
  };
}
