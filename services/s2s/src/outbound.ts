// A stream we open to another server (RFC 6120 as the initiating entity), as a typed state
// machine: STARTTLS (or TLS from the start, XEP-0368), the peer's certificate checked before
// anything else is said (§13.7.2), SASL EXTERNAL with our own certificate (XEP-0178), then
// stanzas. A peer that offers no TLS is given up: no plaintext, ever. Without EXTERNAL (or with a
// certificate that does not pass) the only fallback is dialback after TLS (XEP-0220), and only
// when the policy allows it. A verification stream (XEP-0220 §2.3) only asks one db:verify.
import type { SocketTransport } from '@parley/edge';
import type { Logger } from '@parley/log';
import { NS } from '@parley/stanza';
import { type Element, xml } from '@parley/xml';
import { type Dialback, dialbackMayReplace, NS_DB, NS_DB_FEATURE } from './dialback.ts';
import { S2SStream, type StreamLimits } from './stream.ts';
import type { AuthFailure, Verdict } from './verify.ts';

export type OutboundState =
  | { name: 'wait_for_stream'; stage: 'start' | 'tls' | 'authenticated' }
  | { name: 'wait_for_features'; stage: 'start' | 'tls' | 'authenticated' }
  | { name: 'wait_for_proceed' }
  | { name: 'wait_for_sasl_result' }
  /** XEP-0220 §2.1.2: our db:result sent, waiting for the receiving server's verdict. */
  | { name: 'wait_for_db_result' }
  /** XEP-0220 §2.3: a verification stream, waiting for the authoritative server's db:verify answer. */
  | { name: 'wait_for_db_verify' }
  | { name: 'established' }
  | { name: 'closed' };

export type OutboundFailure = AuthFailure | 'tls' | 'sasl' | 'dialback' | 'stream-error';

export interface OutboundOptions {
  /** Dialback keys when the policy allows dialback over TLS (PARLEY_S2S_POLICY=allow-dialback-over-tls), else null. */
  dialback: Dialback | null;
  /** Makes this a verification stream: it asks whether `key` is valid for stream `id` and carries no stanzas. */
  verify?: { id: string; key: string; done(valid: boolean): void };
}

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
  /** Why the peer's certificate did not pass, when dialback may stand in for it (then EXTERNAL is not used). */
  private certProblem: Verdict | null = null;
  /** The id of the peer's latest stream header: dialback keys are bound to it (XEP-0185 §3). */
  private peerStreamId = '';
  private peerDeclaresDialback = false;

  constructor(
    transport: SocketTransport,
    localDomain: string,
    readonly remoteDomain: string,
    limits: StreamLimits,
    log: Logger,
    private readonly host: OutboundHost,
    private readonly opts: OutboundOptions = { dialback: null },
  ) {
    super(transport, localDomain, limits, log);
    this.dialbackNs = opts.dialback !== null;
    if (transport.secure()) {
      // XEP-0368: TLS from the first byte; check the certificate before saying anything.
      if (!this.certificateAcceptable()) return;
      this.state = { name: 'wait_for_stream', stage: 'tls' };
    }
    this.sendHeader(remoteDomain, false);
  }

  /** §13.7.2: a certificate that passes, or (dialback allowed) one that merely does not validate. False: given up. */
  private certificateAcceptable(): boolean {
    const verdict = this.host.verify(this);
    if (verdict.ok) return true;
    if (this.opts.dialback && dialbackMayReplace(verdict)) {
      this.certProblem = verdict;
      return true;
    }
    this.fail(verdict.reason, verdict.detail);
    return false;
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
    this.peerStreamId = attrs.id ?? '';
    this.peerDeclaresDialback = attrs['xmlns:db'] === NS_DB;
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
      case 'wait_for_db_result':
        if (!el.is('result', NS_DB)) break;
        if (el.attr('type') !== 'valid') {
          this.fail('dialback', `the peer did not accept our dialback key (${el.attr('type') ?? 'no type'})`);
          return;
        }
        this.state = { name: 'established' };
        this.established(() => this.lastSent);
        this.host.ready(this);
        return;
      case 'wait_for_db_verify':
        if (!el.is('verify', NS_DB)) break;
        this.opts.verify?.done(el.attr('type') === 'valid' && el.attr('id') === this.opts.verify.id);
        this.close();
        return;
      case 'established':
        // Stanzas on our outbound stream are a bidirectional use we did not negotiate (XEP-0288).
        this.streamError('unsupported-stanza-type', 'this stream carries stanzas one way');
        return;
      default:
        break;
    }
    this.streamError('not-well-formed', 'unexpected element');
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
    const verify = this.opts.verify;
    if (verify) {
      // XEP-0220 §2.3.1: ask the authoritative server about the key it (supposedly) generated.
      this.state = { name: 'wait_for_db_verify' };
      this.send(xml('db:verify', { from: this.localDomain, to: this.remoteDomain, id: verify.id }, verify.key));
      return;
    }
    const mechs = el.getChild('mechanisms', NS.sasl)?.getChildren('mechanism').map((m) => m.text().trim()) ?? [];
    if (this.certProblem === null && mechs.includes('EXTERNAL')) {
      // XEP-0178 §3 step 6: "=" means the authorization identity is the one derived from our certificate.
      this.state = { name: 'wait_for_sasl_result' };
      this.send(xml('auth', { xmlns: NS.sasl, mechanism: 'EXTERNAL' }, '='));
      return;
    }
    const dialback = this.opts.dialback;
    if (dialback && (el.getChild('dialback', NS_DB_FEATURE) || this.peerDeclaresDialback)) {
      // XEP-0220 §2.1.1 with XEP-0185 §3's key, over the TLS we already have.
      this.state = { name: 'wait_for_db_result' };
      this.send(xml('db:result', { from: this.localDomain, to: this.remoteDomain }, dialback.key(this.remoteDomain, this.localDomain, this.peerStreamId)));
      return;
    }
    if (this.certProblem && !this.certProblem.ok) this.fail(this.certProblem.reason, this.certProblem.detail);
    else this.fail('sasl', 'the peer does not offer SASL EXTERNAL for our certificate');
  }

  private upgrade(): void {
    this.input.restart();
    this.transport.startTls().then(
      () => {
        if (this.isClosed() || !this.certificateAcceptable()) return;
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
    this.opts.verify?.done(false);
    if (!wasUp) this.host.failed(this, this.failure?.reason ?? 'stream-error', this.failure?.detail ?? 'the connection closed during negotiation');
    this.host.ended(this);
  }
}
