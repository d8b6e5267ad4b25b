// Commands of tests/clients/slix_ext_bookmarks.py: XEP-0048 bookmarks in private XML storage (XEP-0049).
import type { SlixClient } from './slix.ts';

export interface LegacyRoom {
  jid: string;
  name?: string;
  autojoin?: boolean;
  nick?: string;
}

export const slixBookmarks = (c: SlixClient) => ({
  setPrivate: (rooms: LegacyRoom[]) => c.command({ cmd: 'bookmarks_set_private', rooms }),
  getPrivate: async () => ((await c.command({ cmd: 'bookmarks_get_private' })) as unknown as { rooms: Required<LegacyRoom>[] }).rooms,
});
