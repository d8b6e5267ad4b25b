// slixmpp's XEP-0313 client (tests/clients/slix_ext_mam.py) as seen by the archive tests.
import type { SlixClient } from './slix.ts';

export interface ArchivedResult {
  id: string;
  queryid: string;
  from: string;
  to: string;
  body: string | null;
  stamp: string | null;
  retracted: boolean;
  origin_id: string | null;
  /** A room archive's muc#user item jid: the sender's real JID, where the requester may see it. */
  real_jid: string | null;
}

export interface MamQuery {
  /** Whose archive: a room's JID; the user's own when absent. */
  jid?: string;
  with?: string;
  start?: string;
  end?: string;
  max?: number;
  after?: string;
  before?: string | true;
  fulltext?: string;
}

export interface MamPrefs {
  default: 'always' | 'never' | 'roster';
  always: string[];
  never: string[];
}

/** The archive commands of one slixmpp client. */
export function slixMam(c: SlixClient) {
  return {
    /** One page (slixmpp's `retrieve`), with <fin/>'s complete flag and the RSM first/last. */
    async page(q: MamQuery = {}): Promise<{ results: ArchivedResult[]; complete: boolean; first: string | null; last: string | null }> {
      const r = await c.command({ cmd: 'mam_page', ...q });
      return { results: r.results as ArchivedResult[], complete: r.complete as boolean, first: r.first as string | null, last: r.last as string | null };
    },
    /** Every page through slixmpp's RSM iterator; `reverse` pages from the newest. */
    async all(q: MamQuery & { reverse?: boolean } = {}): Promise<ArchivedResult[]> {
      return (await c.command({ cmd: 'mam_all', ...q })).results as ArchivedResult[];
    },
    async prefs(): Promise<MamPrefs> {
      const r = await c.command({ cmd: 'mam_prefs_get' });
      return { default: r.default as MamPrefs['default'], always: r.always as string[], never: r.never as string[] };
    },
    async setPrefs(p: MamPrefs): Promise<MamPrefs> {
      const r = await c.command({ cmd: 'mam_prefs_set', ...p });
      return { default: r.default as MamPrefs['default'], always: r.always as string[], never: r.never as string[] };
    },
    sendChat(to: string, body: string, originId: string) {
      return c.command({ cmd: 'mam_send_chat', to, body, origin_id: originId });
    },
    retract(to: string, originId: string) {
      return c.command({ cmd: 'mam_retract', to, target: originId });
    },
    /** The stanza-id the server put on the next received message with this body. */
    async stanzaIdOf(body: string): Promise<{ id: string; by: string }> {
      const e = await c.inbox.next((ev) => ev.event === 'stanza_id' && ev.body === body, `the stanza-id of "${body}"`);
      return { id: String(e.id), by: String(e.by) };
    },
  };
}
