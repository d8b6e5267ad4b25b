// The stream header (RFC 6120 §4.7) and the features offered after it (§4.3.2).
import type { ParleyConfig } from '@parley/config';
import type { EdgeExtensions } from '@parley/ext';
import { tryParseJid } from '@parley/jid';
import { offeredMechanisms } from '@parley/sasl';
import { NS, type StreamErrorCondition } from '@parley/stanza';
import { type Element, xml } from '@parley/xml';
import type { ChannelBindingType, Transport } from '../transport/transport.ts';
import { sasl2Feature } from './sasl2.ts';

export type HeaderProblem = { condition: StreamErrorCondition; text: string };

/** RFC 6120 §4.7 and §4.9.3: what is wrong with a client's stream header, if anything. */
export function checkHeader(name: string, attrs: Record<string, string>, framed: boolean, domain: string): HeaderProblem | null {
  if (!framed) {
    if (name !== 'stream:stream' || attrs['xmlns:stream'] !== NS.stream) {
      return { condition: 'invalid-namespace', text: 'the stream element must be stream:stream in the streams namespace' };
    }
    if (attrs.xmlns !== NS.client) return { condition: 'invalid-namespace', text: 'the content namespace must be jabber:client' };
  }
  // §4.7.5: version 1.0 is required for SASL/TLS streams.
  const version = attrs.version ?? '';
  if (!/^\d+\.\d+$/.test(version) || Number(version.split('.')[0]) !== 1) return { condition: 'unsupported-version', text: 'XMPP version 1.0 is required' };
  const to = attrs.to;
  if (to !== undefined && tryParseJid(to)?.toString() !== domain) return { condition: 'host-unknown', text: 'this server does not serve that domain' };
  return null;
}

/** Our response header (§4.7.1): an open stream:stream tag, or a framed <open/> (RFC 7395 §3.3.2). */
export function responseHeader(attrs: Record<string, string>, framed: boolean, domain: string, streamId: string): string {
  const from = tryParseJid(attrs.from ?? '');
  const common = { id: streamId, from: domain, to: from ? from.bareString() : undefined, version: '1.0', 'xml:lang': 'en' };
  if (framed) return xml('open', { xmlns: NS.framing, ...common }).toString();
  const head = xml('stream:stream', { xmlns: NS.client, 'xmlns:stream': NS.stream, ...common }).toString();
  // An open tag: drop the self-closing "/>" of the serialized empty element.
  return `<?xml version='1.0'?>${head.slice(0, -2)}>`;
}

export function channelBindingTypes(transport: Transport): ChannelBindingType[] {
  return (['tls-exporter', 'tls-server-end-point'] as const).filter((t) => transport.channelBinding(t) !== undefined);
}

/** Before authentication: STARTTLS, then SASL mechanisms once TLS is in place where required. */
export function featuresBeforeAuth(transport: Transport, config: ParleyConfig, ext: EdgeExtensions, moduleMechanisms: string[] = []): Element[] {
  const out: Element[] = [];
  if (transport.canStartTls()) out.push(xml('starttls', { xmlns: NS.tls }, config.requireTls ? xml('required') : null));
  // §5.3.1 / §6.4.1: with TLS mandatory, offer SASL only after TLS.
  if (!config.requireTls || transport.secure()) {
    const cbTypes = channelBindingTypes(transport);
    // The modules' mechanisms first: one offered here was judged usable for this very connection (XEP-0178 EXTERNAL).
    const mechs = [...moduleMechanisms, ...offeredMechanisms({ tls: transport.secure(), channelBindingTypes: cbTypes })];
    out.push(xml('mechanisms', { xmlns: NS.sasl }, ...mechs.map((m) => xml('mechanism', null, m))));
    // XEP-0440: tell the client which channel-binding types we support.
    if (cbTypes.length) out.push(xml('sasl-channel-binding', { xmlns: NS.saslCb }, ...cbTypes.map((t) => xml('channel-binding', { type: t }))));
    out.push(sasl2Feature(mechs, transport.secure() ? cbTypes : null, ext));
    // The modules' pre-auth features (XEP-0077 registration) likewise wait for TLS where it is required.
    out.push(...ext.features('before-auth'));
  }
  return out;
}

/** After authentication: resource binding (§7) and whatever the loaded modules offer. */
export function featuresAfterAuth(ext: EdgeExtensions): Element[] {
  return [xml('bind', { xmlns: NS.bind }), ...ext.features('after-auth')];
}
