// Where stanzas for external components go (XEP-0114). A component connects to one s2s process;
// that process holds its stream and answers on componentSubject(domain). Every s2s process knows
// the registered domains (the components table, re-read every REFRESH_MS): a stanza for one of them
// goes to the local stream, or over the bus to the process that holds it, or bounces with
// service-unavailable when none does (as Prosody answers for a component that is not connected).
// Only the exact registered domain is routed; its subdomains are other servers (decision 0025).
import type { Bus, Subscription } from '@parley/bus';
import type { Logger } from '@parley/log';
import type { StanzaErrorCondition } from '@parley/stanza';
import type { ComponentRepo } from '@parley/store';
import { componentSubject } from '@parley/subjects';
import type { ActorReply, WireMessage } from '@parley/wire';
import type { Element } from '@parley/xml';
import type { S2SMetrics } from '../metrics.ts';
import { type ComponentStream, NS_COMPONENT } from './stream.ts';

const REFRESH_MS = 10_000;
/** How long a domain found not to be a component is believed (a component added meanwhile waits this long at most). */
const NEGATIVE_MS = 10_000;
const PROBE_MS = 2_000;
const FORWARD_MS = 5_000;

export interface ComponentRouterDeps {
  bus: Bus<WireMessage>;
  repo: ComponentRepo;
  log: Logger;
  metrics: S2SMetrics;
  bounce(stanza: Element, condition: StanzaErrorCondition, text: string): void;
}

export class ComponentRouter {
  private readonly connected = new Map<string, { stream: ComponentStream; sub: Subscription }>();
  private readonly claiming = new Set<string>();
  private registered = new Set<string>();
  /** Domains looked up and found not registered, until when; pending lookups share one promise. */
  private readonly notComponents = new Map<string, number | Promise<boolean>>();
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly deps: ComponentRouterDeps) {}

  async start(): Promise<void> {
    await this.refresh();
    this.timer = setInterval(() => void this.refresh(), REFRESH_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    for (const { stream } of [...this.connected.values()]) stream.streamError('system-shutdown', 'the server is shutting down');
  }

  private async refresh(): Promise<void> {
    try {
      this.registered = new Set((await this.deps.repo.list()).map((c) => c.domain));
      // `parley component del`: RFC 6120 §4.9.3.5, the domain is no longer served.
      for (const [domain, { stream }] of this.connected) if (!this.registered.has(domain)) stream.streamError('host-gone', `component ${domain} was removed`);
    } catch (err) {
      this.deps.log.warn('reading the registered components failed', { err: (err as Error).message });
    }
  }

  /**
   * Is `domain` a component's (so not a server to federate with)? Known domains answer at once; an
   * unknown one is looked up in the table (a component registered since the last refresh), and
   * stanzas for it wait on the same lookup, so they keep their order.
   */
  serves(domain: string): boolean | Promise<boolean> {
    if (this.connected.has(domain) || this.registered.has(domain)) return true;
    const known = this.notComponents.get(domain);
    if (known instanceof Promise) return known;
    if (known !== undefined && known > Date.now()) return false;
    if (this.notComponents.size > 10_000) this.notComponents.clear();
    const lookup = this.deps.repo.sealed(domain).then(
      (sealed) => {
        if (sealed !== null) {
          this.registered.add(domain);
          this.notComponents.delete(domain);
          return true;
        }
        this.notComponents.set(domain, Date.now() + NEGATIVE_MS);
        return false;
      },
      (err: Error) => {
        this.deps.log.warn('looking up a component failed', { domain, err: err.message });
        this.notComponents.delete(domain);
        return false;
      },
    );
    this.notComponents.set(domain, lookup);
    return lookup;
  }

  /** A stanza for component `domain` (serves(domain) is true): to its stream, wherever it is. */
  deliver(domain: string, stanza: Element): void {
    if (this.sendHere(domain, stanza)) return;
    this.deps.metrics.componentStanzas.inc({ direction: 'forwarded' });
    this.deps.bus.request(componentSubject(domain), { kind: 'stanza', key: domain, stanza }, { timeoutMs: FORWARD_MS }).then(
      (reply) => {
        if (!(reply as ActorReply).ok) this.notConnected(domain, stanza);
      },
      () => this.notConnected(domain, stanza),
    );
  }

  private notConnected(domain: string, stanza: Element): void {
    this.deps.bounce(stanza, 'service-unavailable', `the component ${domain} is not connected`);
  }

  private sendHere(domain: string, stanza: Element): boolean {
    const held = this.connected.get(domain);
    if (!held) return false;
    // XEP-0114 §3: stanzas on a component stream are in jabber:component:accept.
    stanza.setAttr('xmlns', NS_COMPONENT);
    held.stream.send(stanza);
    this.deps.metrics.componentStanzas.inc({ direction: 'out' });
    return true;
  }

  /** Bus end of a component this process holds: stanzas forwarded by other s2s processes, and conflict probes. */
  private onBus(domain: string, msg: WireMessage): ActorReply {
    if ('kind' in msg && msg.kind === 'component-probe') return this.connected.has(domain) ? { ok: true } : { ok: false, condition: 'item-not-found' };
    if (!('kind' in msg) || msg.kind !== 'stanza' || msg.key !== domain) return { ok: false, condition: 'bad-request' };
    return this.sendHere(domain, msg.stanza) ? { ok: true } : { ok: false, condition: 'service-unavailable' };
  }

  /** XEP-0114: one connection per component; false when this process or another holds `domain`. */
  async claim(stream: ComponentStream, domain: string): Promise<boolean> {
    if (this.connected.has(domain) || this.claiming.has(domain)) return false;
    this.claiming.add(domain);
    try {
      const other = await this.deps.bus.request(componentSubject(domain), { kind: 'component-probe', key: domain }, { timeoutMs: PROBE_MS }).then(
        (r) => (r as ActorReply).ok,
        () => false, // no responders (or no answer): nobody holds it
      );
      if (other || stream.isClosed()) return false;
      const sub = this.deps.bus.subscribe(componentSubject(domain), (msg) => this.onBus(domain, msg));
      this.connected.set(domain, { stream, sub });
      this.registered.add(domain);
      this.deps.metrics.components.inc();
      this.deps.log.info('component connected', { domain, address: stream.transport.remoteAddress });
      return true;
    } finally {
      this.claiming.delete(domain);
    }
  }

  /** The stream ended: the domain is free again if this stream held it. */
  release(stream: ComponentStream, domain: string | null): void {
    if (domain === null) return;
    const held = this.connected.get(domain);
    if (held?.stream !== stream) return;
    held.sub.unsubscribe();
    this.connected.delete(domain);
    this.deps.metrics.components.dec();
    this.deps.log.info('component disconnected', { domain });
  }
}
