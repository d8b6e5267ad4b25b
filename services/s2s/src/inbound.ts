// A stream another server opened to us (RFC 6120 as the receiving entity), as a typed state
// machine: TLS first (§5.3.1: we refuse to go on without it), then SASL EXTERNAL on the peer's
// certificate (XEP-0178) or, when the policy allows it and the certificate merely does not
// validate, dialback over that TLS (XEP-0220, we verify with the peer's authoritative server), then stanzas whose `from` must be the authenticated domain (§8.1.2.2: a
// server may speak only for the domains it authenticated; §4.9.3.10 invalid-from otherwise).
import { tryParseJid } from '@parley/jid';
import { NS } from '@parley/stanza';
import { type Element, xml } from '@parley/xml';
import type { SocketTransport } from '@parley/edge';
import type { Logger } from '@parley/log';
import { type Dialback, dialbackMayReplace, NS_DB, NS_DB_FEATURE } from './dialback.ts';
import { NS_SERVER, S2SStream, type StreamLimits } from './stream.ts';
import type { Verdict } from './verify.ts';

export type InboundState =
  /** Waiting for the peer's header: the first one, or the restart after TLS or SASL (§4.3.3). */
  | { name: 'wait_for_stream'; authenticated: string | null }
  /** Features sent; only STARTTLS (before TLS), SASL EXTERNAL or dialback (after) may come. */
  | { name: 'wait_for_feature'; peer: string; certOk: boolean }
  /** XEP-0220 §2.2: the peer's db:result is being checked with its authoritative server. */
  | { name: 'dialback_pending'; peer: string }
  | { name: 'established'; peer: string }
  | { name: 'closed' };

export interface InboundHost {
  /** Our domains (the server's and its chatroom service's). */
  serves(domain: string): boolean;
  /** The peer's certificate checked for `domain` under the policy. */
  verify(stream: InboundStream, domain: string): Verdict;
  /** A stanza from an authenticated peer, `from` and `to` already checked. */
  stanza(stanza: Element, peer: string): void;
  authenticated(stream: InboundStream, peer: string): void;
  refused(reason: string): void;
  ended(stream: InboundStream): void;
  /** Dialback keys when the policy allows dialback over TLS, else null. */
  dialback: Dialback | null;
  /** XEP-0220 §2.3: ask `peer`'s authoritative server whether `key` is its key for our stream `streamId`. */
  verifyDialback(peer: string, streamId: string, key: string): Promise<boolean>;
}

export class InboundStream extends S2SStream {
  state: InboundState = { name: 'wait_for_stream', authenticated: null };
  /** Our latest stream id: the peer's dialback key is bound to it (XEP-0185 §3). */
  private streamId = '';

  constructor(
    transport: SocketTransport,
    localDomain: string,
    limits: StreamLimits,
    log: Logger,
    private readonly host: InboundHost,
  ) {
    super(transport, localDomain, limits, log);
    this.dialbackNs = host.dialback !== null;
  }

  protected onHeader(name: string, attrs: Record<string, string>): void {
    const s = this.state;
    if (s.name !== 'wait_for_stream') {
      this.streamError('not-well-formed', 'unexpected stream header');
      return;
    }
    const from = tryParseJid(attrs.from ?? '');
    this.streamId = this.sendHeader(from && from.local === null && from.resource === null ? from.domain : undefined, true) ?? '';
    const problem = this.headerProblem(name, attrs);
    if (problem) {
      this.streamError(problem.condition, problem.text);
      return;
    }
    // §4.9.3.6: we must serve the domain the stream is for.
    if (!attrs.to || !this.host.serves(attrs.to)) {
      this.streamError('host-unknown', 'this server does not serve that domain');
      return;
    }
    if (s.authenticated) {
      this.state = { name: 'established', peer: s.authenticated };
      this.write('<stream:features/>');
      this.established(() => this.input.lastInput);
      return;
    }
    // §4.7.1: a server names itself; without a domain in `from` there is nothing to authenticate.
    if (!from || from.local !== null || from.resource !== null) {
      this.streamError('invalid-from', 'the stream header must name the sending domain');
      return;
    }
    const peer = from.domain;
    const features = xml('stream:features');
    let certOk = false;
    if (!this.transport.secure()) {
      // §5.3.1: TLS is mandatory-to-negotiate here.
      features.append(xml('starttls', { xmlns: NS.tls }, xml('required')));
    } else {
      const verdict = this.host.verify(this, peer);
      certOk = verdict.ok;
      const dialback = this.host.dialback !== null && (verdict.ok || dialbackMayReplace(verdict));
      if (!verdict.ok && !dialback) {
        this.host.refused(verdict.reason);
        this.log.info('refusing peer', { peer, reason: verdict.reason, detail: verdict.detail });
        // RFC 6120 §13.7.2.1: no SASL EXTERNAL without an acceptable certificate, and no weaker fallback under this policy.
        this.streamError('policy-violation', verdict.detail);
        return;
      }
      if (verdict.ok) features.append(xml('mechanisms', { xmlns: NS.sasl }, xml('mechanism', null, 'EXTERNAL')));
      // XEP-0220 §2.1: offered only after TLS, and only under allow-dialback-over-tls.
      if (dialback) features.append(xml('dialback', { xmlns: NS_DB_FEATURE }, xml('errors')));
    }
    this.state = { name: 'wait_for_feature', peer, certOk };
    this.send(features);
  }

  protected onElement(el: Element): void {
    const s = this.state;
    switch (s.name) {
      case 'wait_for_stream':
        this.streamError('not-well-formed', 'expected a stream header');
        return;
      case 'wait_for_feature':
        if (this.dialbackElement(el, s.peer)) return;
        this.negotiate(el, s.peer, s.certOk);
        return;
      case 'dialback_pending':
        if (el.is('verify', NS_DB) && this.dialbackElement(el, s.peer)) return;
        this.streamError('not-authorized', 'wait for the dialback result');
        return;
      case 'established':
        if (el.is('verify', NS_DB) && this.dialbackElement(el, s.peer)) return;
        this.admit(el, s.peer);
        return;
      case 'closed':
        return;
    }
  }

  /**
   * XEP-0220 after TLS: db:verify (we are the authoritative server: is this our key?) and db:result
   * (the peer asks us to accept its domain; we ask its authoritative server). False: not dialback.
   */
  private dialbackElement(el: Element, peer: string): boolean {
    const dialback = this.host.dialback;
    if (!dialback || !this.transport.secure() || !(el.is('verify', NS_DB) || el.is('result', NS_DB))) return false;
    const from = el.attr('from') ?? '';
    const to = el.attr('to') ?? '';
    const key = el.text().trim();
    if (!this.host.serves(to)) {
      this.streamError('host-unknown', 'this server does not serve that domain');
      return true;
    }
    if (el.is('verify', NS_DB)) {
      // §2.3.2: the receiving server `from` asks whether we generated `key` for its stream `id`.
      const id = el.attr('id') ?? '';
      const valid = dialback.check(from, to, id, key);
      this.send(xml('db:verify', { from: to, to: from, id, type: valid ? 'valid' : 'invalid' }));
      return true;
    }
    // §2.1.1: a server asks only for itself, the domain of its stream header.
    if (from !== peer) {
      this.streamError('invalid-from', `this stream is from ${peer}`);
      return true;
    }
    this.state = { name: 'dialback_pending', peer };
    this.host.verifyDialback(peer, this.streamId, key).then(
      (valid) => this.dialbackDone(peer, to, valid),
      () => this.dialbackDone(peer, to, false),
    );
    return true;
  }

  private dialbackDone(peer: string, local: string, valid: boolean): void {
    if (this.isClosed()) return;
    // §2.2.2: the verdict; an invalid key ends the stream.
    this.send(xml('db:result', { from: local, to: peer, type: valid ? 'valid' : 'invalid' }));
    if (!valid) {
      this.host.refused('dialback');
      this.streamError('not-authorized', `${peer} could not be verified by dialback`);
      return;
    }
    this.state = { name: 'established', peer };
    this.host.authenticated(this, peer);
    this.established(() => this.input.lastInput);
  }

  private negotiate(el: Element, peer: string, certOk: boolean): void {
    if (el.is('starttls', NS.tls) && this.transport.canStartTls()) {
      this.send(xml('proceed', { xmlns: NS.tls }));
      this.state = { name: 'wait_for_stream', authenticated: null };
      this.input.restart();
      this.transport.startTls().catch((err: Error) => {
        this.host.refused('tls');
        this.log.info('s2s tls handshake failed', { err: err.message });
        this.close();
      });
      return;
    }
    if (!this.transport.secure()) {
      this.streamError('policy-violation', 'TLS is required on this server (RFC 6120 §5.3.1)');
      return;
    }
    if (el.is('auth', NS.sasl) && el.attr('mechanism') === 'EXTERNAL' && !certOk) {
      // Not offered: the certificate did not pass (only dialback was).
      this.host.refused('sasl');
      this.send(xml('failure', { xmlns: NS.sasl }, xml('not-authorized')));
      this.close();
      return;
    }
    if (el.is('auth', NS.sasl) && el.attr('mechanism') === 'EXTERNAL') {
      // XEP-0178 §3 step 7: an authorization identity, if given, must be the domain the certificate was checked for.
      const raw = el.text().trim();
      const authzid = raw === '' || raw === '=' ? peer : Buffer.from(raw, 'base64').toString('utf8');
      if (authzid !== peer) {
        this.host.refused('sasl');
        this.send(xml('failure', { xmlns: NS.sasl }, xml('invalid-authzid')));
        this.close();
        return;
      }
      this.send(xml('success', { xmlns: NS.sasl }));
      this.state = { name: 'wait_for_stream', authenticated: peer };
      this.input.restart();
      this.host.authenticated(this, peer);
      return;
    }
    if (el.is('auth', NS.sasl)) {
      this.send(xml('failure', { xmlns: NS.sasl }, xml('invalid-mechanism')));
      return;
    }
    // §6.4: nothing but negotiation before authentication.
    this.streamError('not-authorized', 'authenticate first');
  }

  /** §8.1.1.1: both addresses are required between servers; `from` must be the peer (§4.9.3.10), `to` ours. */
  private admit(el: Element, peer: string): void {
    const ok = this.checkedStanza(el, NS_SERVER, peer);
    if (!ok) return;
    if (!this.host.serves(ok.to.domain)) {
      this.streamError('host-unknown', 'this server does not serve that domain');
      return;
    }
    this.host.stanza(ok.el, peer);
  }

  protected ended(): void {
    this.state = { name: 'closed' };
    this.host.ended(this);
  }
}
