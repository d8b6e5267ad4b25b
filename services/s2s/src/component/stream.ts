// A stream an external component opened to us (XEP-0114), as a typed state machine: its header
// names the component's domain (§3 step 1), we answer with a stream id, it proves the shared secret
// with <handshake/> = hex SHA-1(stream id + secret) (§3 steps 3-4), then it exchanges stanzas.
// Errors as the XEP and Prosody's mod_component give them: host-unknown for an unregistered domain,
// not-authorized for a wrong handshake, conflict when the domain is connected already, invalid-from
// for a stanza from outside its domain, improper-addressing without a `to`.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { SocketTransport } from '@parley/edge';
import { tryParseJid } from '@parley/jid';
import type { Logger } from '@parley/log';
import { NS } from '@parley/stanza';
import { type Element, xml } from '@parley/xml';
import { S2SStream, type StreamLimits } from '../stream.ts';

export const NS_COMPONENT = 'jabber:component:accept';

export type ComponentState =
  | { name: 'wait_for_stream' }
  | { name: 'wait_for_handshake'; domain: string; streamId: string }
  /** The secret and the claim on the domain are being checked; the component must wait for our answer. */
  | { name: 'checking'; domain: string }
  | { name: 'established'; domain: string }
  | { name: 'closed' };

export interface ComponentHost {
  /** The registered secret of `domain`, null when no such component is registered. */
  secretFor(domain: string): Promise<string | null>;
  /** Makes this stream the domain's connection; false when another one holds it (here or on another process). */
  claim(stream: ComponentStream, domain: string): Promise<boolean>;
  /** A stanza from the component, `from` stamped or checked, in jabber:client. */
  stanza(stanza: Element, domain: string): void;
  refused(reason: 'host-unknown' | 'not-authorized' | 'conflict' | 'not-loopback'): void;
  ended(stream: ComponentStream, domain: string | null): void;
}

/** XEP-0114 §3: lower-case hex SHA-1 of the stream id followed by the secret. */
export function handshakeDigest(streamId: string, secret: string): string {
  return createHash('sha1').update(streamId + secret, 'utf8').digest('hex');
}

export class ComponentStream extends S2SStream {
  state: ComponentState = { name: 'wait_for_stream' };
  private claimed: string | null = null;
  /** A component that only receives is busy too: idle means no traffic either way. */
  private lastSent = Date.now();

  constructor(
    transport: SocketTransport,
    localDomain: string,
    limits: StreamLimits,
    log: Logger,
    private readonly host: ComponentHost,
  ) {
    super(transport, localDomain, limits, log);
  }

  /** §3 step 2: our header comes from the component's domain; XEP-0114 streams carry no version. */
  protected override headerAttrs(to: string | undefined, id: string | undefined): Record<string, string | undefined> {
    const from = this.state.name === 'wait_for_stream' || this.state.name === 'closed' ? this.localDomain : this.state.domain;
    return { xmlns: NS_COMPONENT, 'xmlns:stream': NS.stream, from, to, id };
  }

  protected onHeader(name: string, attrs: Record<string, string>): void {
    if (this.state.name !== 'wait_for_stream') {
      this.streamError('not-well-formed', 'unexpected stream header');
      return;
    }
    const to = tryParseJid(attrs.to ?? '');
    const domain = to && to.local === null && to.resource === null ? to.domain : null;
    if (name !== 'stream:stream' || attrs['xmlns:stream'] !== NS.stream || attrs.xmlns !== NS_COMPONENT) {
      this.streamError('invalid-namespace', `a component stream is stream:stream in ${NS_COMPONENT}`);
      return;
    }
    if (!domain) {
      this.streamError('host-unknown', 'the stream header must name the component domain in to');
      return;
    }
    this.state = { name: 'wait_for_handshake', domain, streamId: '' };
    const streamId = this.sendHeader(undefined, true)!;
    this.state = { name: 'wait_for_handshake', domain, streamId };
  }

  protected onElement(el: Element): void {
    const s = this.state;
    switch (s.name) {
      case 'wait_for_stream':
        this.streamError('not-well-formed', 'expected a stream header');
        return;
      case 'wait_for_handshake':
        if (!el.is('handshake', NS_COMPONENT)) {
          this.streamError('not-authorized', 'send the handshake first (XEP-0114 §3)');
          return;
        }
        this.state = { name: 'checking', domain: s.domain };
        this.handshake(s.domain, s.streamId, el.text().trim().toLowerCase()).catch((err: Error) => {
          this.log.error('component handshake failed', { err: err.message });
          this.streamError('internal-server-error');
        });
        return;
      case 'checking':
        this.streamError('policy-violation', 'wait for the answer to the handshake');
        return;
      case 'established':
        this.admit(el, s.domain);
        return;
      case 'closed':
        return;
    }
  }

  private async handshake(domain: string, streamId: string, given: string): Promise<void> {
    const secret = await this.host.secretFor(domain);
    if (this.isClosed()) return;
    if (secret === null) {
      this.host.refused('host-unknown');
      this.streamError('host-unknown', `no component ${domain} is registered on this server`);
      return;
    }
    const want = Buffer.from(handshakeDigest(streamId, secret));
    const got = Buffer.from(given);
    if (got.length !== want.length || !timingSafeEqual(got, want)) {
      this.host.refused('not-authorized');
      this.streamError('not-authorized', 'the handshake does not match the secret');
      return;
    }
    if (!(await this.host.claim(this, domain))) {
      this.host.refused('conflict');
      this.streamError('conflict', `component ${domain} is connected already`);
      return;
    }
    if (this.isClosed()) {
      this.host.ended(this, domain);
      return;
    }
    this.claimed = domain;
    this.state = { name: 'established', domain };
    this.send(xml('handshake', null));
    this.established(() => Math.max(this.input.lastInput, this.lastSent));
  }

  override send(el: Element): void {
    this.lastSent = Date.now();
    super.send(el);
  }

  /** Like Prosody's mod_component: a missing `from` is the component's domain; one outside it ends the stream. */
  private admit(el: Element, domain: string): void {
    const ok = this.checkedStanza(el, NS_COMPONENT, domain, domain);
    if (ok) this.host.stanza(ok.el, domain);
  }

  protected ended(): void {
    this.state = { name: 'closed' };
    this.host.ended(this, this.claimed);
  }
}
