// XEP-0352 Client State Indication, at the edge (per connection): a client that says it is inactive
// (app in the background) gets no presence updates or chat states until it is active again or until
// something that matters arrives; messages with a body go out at once, after what was held (order
// kept). Held presence is coalesced to the latest per sender; held chat states likewise.
import type { ConnectionHooks, ExtensionModule, StreamApi } from '@parley/ext';
import { xml } from '@parley/xml';
import { Counter, Gauge, type Registry } from 'prom-client';

export const NS_CSI = 'urn:xmpp:csi:0';
const NS_CHATSTATES = 'http://jabber.org/protocol/chatstates';
/** Held stanzas per connection before they are flushed anyway (bounded memory). */
const MAX_HELD = 500;

interface CsiMetrics {
  held: Counter;
  coalesced: Counter;
  flushes: Counter<'reason'>;
  inactive: Gauge;
}

function csiMetrics(registry: Registry): CsiMetrics {
  return {
    held: new Counter({ name: 'parley_csi_held_total', help: 'Stanzas held back from inactive clients (XEP-0352)', registers: [registry] }),
    coalesced: new Counter({ name: 'parley_csi_coalesced_total', help: 'Held stanzas replaced by a newer one from the same sender and never sent', registers: [registry] }),
    flushes: new Counter({ name: 'parley_csi_flushes_total', help: 'Held queues written out, by reason', labelNames: ['reason'], registers: [registry] }),
    inactive: new Gauge({ name: 'parley_csi_inactive_connections', help: 'Connections whose client said it is inactive', registers: [registry] }),
  };
}

const attr = (head: string, name: string): string | undefined => {
  const m = new RegExp(`\\s${name}=(?:"([^"]*)"|'([^']*)')`).exec(head);
  return m ? (m[1] ?? m[2]) : undefined;
};

/**
 * What an inactive client can wait for (XEP-0352 §5 leaves the policy to the server): presence
 * broadcasts (available and unavailable, not subscription requests) and standalone chat states
 * (XEP-0085 §5.5, a message without body). Returns the coalescing key, or null to send now.
 */
export function csiHoldKey(text: string): string | null {
  const head = text.slice(0, text.indexOf('>') + 1);
  const from = attr(head, 'from') ?? '';
  if (head.startsWith('<presence')) {
    const type = attr(head, 'type');
    return type === undefined || type === 'unavailable' ? `p ${from}` : null;
  }
  if (head.startsWith('<message') && !text.includes('<body') && text.includes(NS_CHATSTATES) && attr(head, 'type') !== 'error') return `c ${from}`;
  return null;
}

function csiConnection(api: StreamApi, metrics: CsiMetrics | null): ConnectionHooks {
  let inactive = false;
  /** Held stanzas by coalescing key, oldest first (a replaced one moves to the end). */
  const held = new Map<string, [string, string | undefined]>();

  const flush = (reason: string) => {
    if (held.size === 0) return;
    metrics?.flushes.inc({ reason });
    const items = [...held.values()];
    held.clear();
    for (const [text, id] of items) api.release(text, id);
  };

  const setInactive = (next: boolean) => {
    if (next === inactive) return;
    inactive = next;
    metrics?.inactive.inc(next ? 1 : -1);
    // Push (XEP-0357) and other actors' modules can see the state on the location entry.
    api.patchEntry({ inactive: next ? true : undefined });
    if (!next) flush('active');
  };

  return {
    xmlns: NS_CSI,
    nonza(el, bound) {
      // §6: the nonzas are meaningful only once a resource is bound; before that they are ignored.
      if (!bound) return;
      if (el.name === 'inactive') setInactive(true);
      else if (el.name === 'active') setInactive(false);
      else api.streamError('unsupported-stanza-type', `<${el.name}/> is not a client state`);
    },
    // XEP-0386 §2.3 with XEP-0352: a client may start inactive by putting <inactive/> (or <active/>,
    // the default) inside its Bind2 request; nothing goes into <bound/>.
    bindInline(el) {
      if (el.name === 'inactive') setInactive(true);
      else if (el.name === 'active') setInactive(false);
      return null;
    },
    outbound(text, deliveryId) {
      if (!inactive) return undefined;
      const key = csiHoldKey(text);
      if (key === null) {
        // Something that matters (a message with a body, an IQ, a subscription request): what was
        // held goes first, so the client sees everything in the order the server sent it.
        flush('urgent');
        return undefined;
      }
      if (held.delete(key)) metrics?.coalesced.inc();
      held.set(key, [text, deliveryId]);
      metrics?.held.inc();
      if (held.size > MAX_HELD) flush('full');
      return 'hold';
    },
    closed() {
      if (inactive) metrics?.inactive.dec();
      held.clear();
    },
  };
}

export function clientStateIndication(opts: { registry?: Registry } = {}): ExtensionModule {
  const metrics = opts.registry ? csiMetrics(opts.registry) : null;
  return {
    name: 'csi',
    specs: ['XEP-0352'],
    metrics: metrics ? ['parley_csi_held_total', 'parley_csi_coalesced_total', 'parley_csi_flushes_total', 'parley_csi_inactive_connections'] : [],
    edge: {
      // §4: advertised after authentication.
      features: [{ stage: 'after-auth', element: () => xml('csi', { xmlns: NS_CSI }) }],
      bind2Inline: [NS_CSI],
      connection: (api) => csiConnection(api, metrics),
    },
  };
}
