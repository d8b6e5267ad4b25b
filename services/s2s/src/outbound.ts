// A stream we open to another server (RFC 6120 as the initiating entity), as a typed state
// machine: STARTTLS (or TLS from the start, XEP-0368), the peer's certificate checked before
// anything else is said (§13.7.2), SASL EXTERNAL with our own certificate (XEP-0178), then
// stanzas. A peer that offers no TLS or no EXTERNAL is given up: no plaintext, no weaker fallback.
import type { SocketTransport } from '@parley/edge';
import type { Logger } from '@parley/log';
import { NS } from '@parley/stanza';
import { type Element, xml } from '@parley/xml';
import { S2SStream, type StreamLimits } from './stream.ts';
import type { AuthFailure, Verdict } from './verify.ts';

export type OutboundState =
  | { name: 'wait_for_stream'; stage: 'start' | 'tls' | 'authenticated' }
  | { name: 'wait_for_features'; stage: 'start' | 'tls' | 'authenticated' }
  | { name: 'wait_for_proceed' }
  | { name: 'wait_for_sasl_result' }
  | { name: 'established' }
  | { name: 'closed' };

export type OutboundFailure = AuthFailure | 'tls' | 'sasl' | 'stream-error';

export interface OutboundHost {
  verify(stream: OutboundStream): Verdict;
  /** Authenticated: the stream may carry stanzas now. */
  ready(stream: OutboundStream): void;
  failed(stream: OutboundStream, reason: OutboundFailure, detail: string): void;
  ended(stream: OutboundStream): void;
}

export class OutboundStream extends S2SStream {
  state: OutboundState = { name: 'wait_for_stream', stage: 'start' };
  /** Time of the last stanza sent: an outbound stream nobody uses is closed (idle). */
  lastSent = Date.now();
  private failure: { reason: OutboundFailure; detail: string } | null = null;

  constructor(
    transport: SocketTransport,
    localDomain: string,
    readonly remoteDomain: string,
    limits: StreamLimits,
    log: Logger,
    private readonly host: OutboundHost,
  ) {
    super(transport, localDomain, limits, log);
    if (transport.secure()) {
      // XEP-0368: TLS from the first byte; check the certificate before saying anything.
      const verdict = host.verify(this);
      if (!verdict.ok) {
        this.fail(verdict.reason, verdict.detail);
        return;
      }
      this.state = { name: 'wait_for_stream', stage: 'tls' };
    }
    this.sendHeader(remoteDomain, false);
  }

  protected onHeader(name: string, attrs: Record<string, string>): void {
    const s = this.state;
    if (s.name !== 'wait_for_stream') {
      this.streamError('not-well-formed', 'unexpected stream header');
      return;
    }
    const problem = this.headerProblem(name, attrs);
    if (problem) {
      this.streamError(problem.condition, problem.text);
      return;
    }
    this.state = { name: 'wait_for_features', stage: s.stage };
  }

  protected onElement(el: Element): void {
    const s = this.state;
    if (el.is('error', NS.stream)) {
      const condition = el.getChildElements()[0]?.name ?? 'undefined-condition';
      this.fail('stream-error', `${condition}: ${el.getChildText('text', NS.streams) ?? ''}`.trim());
      return;
    }
    switch (s.name) {
      case 'wait_for_features':
        this.features(el, s.stage);
        return;
      case 'wait_for_proceed':
        if (!el.is('proceed', NS.tls)) {
          this.fail('tls', 'the peer refused STARTTLS');
          return;
        }
        this.upgrade();
        return;
      case 'wait_for_sasl_result':
        if (el.is('success', NS.sasl)) {
          this.state = { name: 'wait_for_stream', stage: 'authenticated' };
          this.input.restart();
          this.sendHeader(this.remoteDomain, false);
          return;
        }
        this.fail('sasl', `SASL EXTERNAL refused: ${el.getChildElements()[0]?.name ?? 'failure'}`);
        return;
      case 'established':
        // Stanzas on our outbound stream are a bidirectional use we did not negotiate (XEP-0288).
        this.streamError('unsupported-stanza-type', 'this stream carries stanzas one way');
        return;
      default:
        this.streamError('not-well-formed', 'unexpected element');
        return;
    }
  }

  private features(el: Element, stage: 'start' | 'tls' | 'authenticated'): void {
    if (!el.is('features', NS.stream)) {
      this.streamError('not-well-formed', 'expected stream features');
      return;
    }
    if (stage === 'authenticated') {
      this.state = { name: 'established' };
      this.established(() => this.lastSent);
      this.host.ready(this);
      return;
    }
    if (stage === 'start') {
      // RFC 6120 §5.3.1 / §13.7: we never send a stanza over an unencrypted stream.
      if (!el.getChild('starttls', NS.tls)) {
        this.fail('tls', 'the peer does not offer STARTTLS');
        return;
      }
      this.state = { name: 'wait_for_proceed' };
      this.send(xml('starttls', { xmlns: NS.tls }));
      return;
    }
    const mechs = el.getChild('mechanisms', NS.sasl)?.getChildren('mechanism').map((m) => m.text().trim()) ?? [];
    if (!mechs.includes('EXTERNAL')) {
      this.fail('sasl', 'the peer does not offer SASL EXTERNAL for our certificate');
      return;
    }
    // XEP-0178 §3 step 6: "=" means the authorization identity is the one derived from our certificate.
    this.state = { name: 'wait_for_sasl_result' };
    this.send(xml('auth', { xmlns: NS.sasl, mechanism: 'EXTERNAL' }, '='));
  }

  private upgrade(): void {
    this.input.restart();
    this.transport.startTls().then(
      () => {
        if (this.isClosed()) return;
        const verdict = this.host.verify(this);
        if (!verdict.ok) {
          this.fail(verdict.reason, verdict.detail);
          return;
        }
        this.state = { name: 'wait_for_stream', stage: 'tls' };
        this.sendHeader(this.remoteDomain, false);
      },
      (err: Error) => this.fail('tls', `TLS handshake failed: ${err.message}`),
    );
  }

  /** A stanza to the peer, in the jabber:server namespace. */
  stanza(el: Element): void {
    el.setAttr('xmlns', 'jabber:server');
    this.lastSent = Date.now();
    this.send(el);
  }

  private fail(reason: OutboundFailure, detail: string): void {
    if (this.isClosed()) return;
    this.failure = { reason, detail };
    this.log.info('outbound s2s stream failed', { peer: this.remoteDomain, reason, detail });
    this.close();
  }

  protected ended(): void {
    const wasUp = this.state.name === 'established';
    this.state = { name: 'closed' };
    if (!wasUp) this.host.failed(this, this.failure?.reason ?? 'stream-error', this.failure?.detail ?? 'the connection closed during negotiation');
    this.host.ended(this);
  }
}
