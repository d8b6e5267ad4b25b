// The chatroom service's own metrics (docs/chatrooms.md, Metrics): rooms and occupants held by this
// process's room actors, groupchat traffic and its fan-out, refused entries and messages by reason,
// and the room archive's writes and queries (rooms are not counted in parley_archive_*).
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { ChatState } from './state.ts';

/** Why the room said no (the `reason` label of parley_muc_refused_total). */
export type RefusalReason = 'rate-limit' | 'nickname-conflict' | 'lookalike' | 'members-only' | 'banned' | 'kicked';

export interface MucMetrics {
  groupchat: Counter;
  /** Bus messages (one per edge holding recipients) per groupchat message. */
  fanout: Histogram;
  refused: Counter<'reason'>;
  archiveWrites: Counter;
  archiveQueries: Counter;
  /** The host's view of its actors' states, for the gauges. */
  observe(states: () => Iterable<ChatState>): void;
}

export const MUC_METRIC_NAMES = [
  'parley_muc_rooms_active',
  'parley_muc_occupants',
  'parley_muc_groupchat_messages_total',
  'parley_muc_groupchat_bus_messages',
  'parley_muc_refused_total',
  'parley_muc_archive_writes_total',
  'parley_muc_archive_queries_total',
];

export function mucMetrics(registry: Registry): MucMetrics {
  const views: Array<() => Iterable<ChatState>> = [];
  const rooms = function* () {
    for (const view of views) for (const s of view()) if (s.kind === 'room' && s.exists && s.occupants.size > 0) yield s;
  };
  new Gauge({
    name: 'parley_muc_rooms_active',
    help: 'Rooms with occupants, held by this process’s room actors',
    registers: [registry],
    collect() {
      let n = 0;
      for (const _ of rooms()) n++;
      this.set(n);
    },
  });
  new Gauge({
    name: 'parley_muc_occupants',
    help: 'Occupant sessions (one per resource) in the rooms this process holds',
    registers: [registry],
    collect() {
      let n = 0;
      for (const r of rooms()) for (const o of r.occupants.values()) n += o.sessions.size;
      this.set(n);
    },
  });
  return {
    groupchat: new Counter({ name: 'parley_muc_groupchat_messages_total', help: 'Groupchat messages a room broadcast to its occupants (XEP-0045 §7.4)', registers: [registry] }),
    fanout: new Histogram({
      name: 'parley_muc_groupchat_bus_messages',
      help: 'Bus messages (one per edge holding occupants) that one groupchat message was sent as',
      buckets: [1, 2, 4, 8, 16, 32, 64],
      registers: [registry],
    }),
    refused: new Counter({ name: 'parley_muc_refused_total', help: 'Entries, nickname changes and messages a room refused, by reason', labelNames: ['reason'], registers: [registry] }),
    archiveWrites: new Counter({ name: 'parley_muc_archive_writes_total', help: 'Groupchat messages written to room archives (XEP-0313 §5.1.2)', registers: [registry] }),
    archiveQueries: new Counter({ name: 'parley_muc_archive_queries_total', help: 'MAM queries a room archive answered with a page', registers: [registry] }),
    observe: (states) => views.push(states),
  };
}
