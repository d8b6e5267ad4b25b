// XEP-0257 client certificate management: an account lists, adds (a certificate it made itself),
// disables and revokes the certificates that may sign it in with SASL EXTERNAL. Answered at the
// edge: it needs this connection's own sign-in (<no-cert-management/>, §2.1) and no actor.
import { X509Certificate } from 'node:crypto';
import type { LocalIq, LocalIqContext, LocalIqReply } from '@parley/ext';
import { within } from '@parley/pki';
import { iqResult, type StanzaErrorCondition, stanzaErrorReply } from '@parley/stanza';
import { type Element, xml } from '@parley/xml';

export const NS_SASLCERT = 'urn:xmpp:saslcert:1';
const MAX_NAME = 100;
export const REVOKED_TEXT = 'the client certificate this session signed in with was revoked';
const MAX_CERT_BYTES = 16 * 1024;

/** The connection's account (user, domain); the IQs run only on authenticated, bound streams. */
function owner(ctx: LocalIqContext): { user: string; domain: string } {
  const account = ctx.stream.account();
  if (!account) throw new Error('saslcert IQ on an unauthenticated stream');
  return { user: account.slice(0, account.lastIndexOf('@')), domain: ctx.domain };
}

const refuse = (iq: Element, condition: StanzaErrorCondition, text: string) => stanzaErrorReply(iq, condition, { text, from: undefined });

/** §2.1 <no-cert-management/>: a session signed in with such a certificate may not manage certificates. */
async function mayManage(ctx: LocalIqContext): Promise<boolean> {
  const used = ctx.stream.credential();
  if (!used) return true;
  const cert = await ctx.store.clientCerts.byFingerprint(used);
  return cert?.manage !== false;
}

/** §2.2: the account's certificates that may sign in, each with its name and DER form (base64). */
async function items(iq: Element, ctx: LocalIqContext): Promise<Element> {
  const { user, domain } = owner(ctx);
  const certs = await ctx.store.clientCerts.list(user, domain, false);
  return iqResult(
    iq,
    xml('items', { xmlns: NS_SASLCERT }, ...certs.map((c) => xml('item', null, xml('name', null, c.name), xml('x509cert', null, new X509Certificate(c.certPem).raw.toString('base64'))))),
  );
}

/** §2.1: register a certificate (typically self-signed, made by the client) under a name. */
async function append(iq: Element, ctx: LocalIqContext): Promise<Element> {
  if (!(await mayManage(ctx))) return refuse(iq, 'forbidden', 'this session signed in with a certificate that may not manage certificates');
  const el = iq.getChild('append', NS_SASLCERT)!;
  const name = el.getChildText('name')?.trim() ?? '';
  const b64 = (el.getChildText('x509cert') ?? '').replace(/\s+/g, '');
  if (name === '' || name.length > MAX_NAME) return refuse(iq, 'bad-request', `a name of 1 to ${MAX_NAME} characters is required`);
  if (b64 === '' || b64.length > (MAX_CERT_BYTES * 4) / 3 || !/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) return refuse(iq, 'bad-request', 'x509cert must be a base64 DER certificate');
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(Buffer.from(b64, 'base64'));
  } catch {
    return refuse(iq, 'bad-request', 'x509cert is not a readable X.509 certificate');
  }
  if (!within(cert)) return refuse(iq, 'not-acceptable', 'the certificate is expired or not yet valid');
  const { user, domain } = owner(ctx);
  const outcome = await ctx.store.clientCerts.add(user, domain, {
    fingerprint: cert.fingerprint256,
    name,
    certPem: cert.toString(),
    source: 'registered',
    manage: !el.getChild('no-cert-management'),
    notAfter: new Date(cert.validTo),
  });
  if (outcome === 'name-taken') return refuse(iq, 'conflict', `a certificate named ${name} exists already`);
  if (outcome === 'known') return refuse(iq, 'conflict', 'this certificate is registered already, or was revoked');
  if (outcome === 'no-account') return refuse(iq, 'item-not-found', 'this account no longer exists');
  ctx.stream.log.info('client certificate registered', { account: ctx.stream.account(), fingerprint: cert.fingerprint256 });
  return iqResult(iq);
}

/**
 * §2.3 disable: the certificate signs in no more, sessions already signed in with it go on; §2.4
 * revoke: those sessions are closed too, on every edge.
 */
function changeState(state: 'disabled' | 'revoked') {
  return async (iq: Element, ctx: LocalIqContext): Promise<LocalIqReply> => {
    if (!(await mayManage(ctx))) return refuse(iq, 'forbidden', 'this session signed in with a certificate that may not manage certificates');
    const name = iq.getChild(state === 'disabled' ? 'disable' : 'revoke', NS_SASLCERT)?.getChildText('name')?.trim() ?? '';
    if (name === '') return refuse(iq, 'bad-request', 'the name of a certificate is required');
    const { user, domain } = owner(ctx);
    const cert = await ctx.store.clientCerts.setState(user, domain, name, state);
    if (!cert) return refuse(iq, 'item-not-found', `no certificate named ${name}`);
    ctx.stream.log.info(`client certificate ${state}`, { account: ctx.stream.account(), fingerprint: cert.fingerprint });
    if (state === 'revoked') return { reply: iqResult(iq), after: () => ctx.stream.revokeCredential(cert.fingerprint, REVOKED_TEXT) };
    return iqResult(iq);
  };
}

export const saslcertIqs: LocalIq[] = [
  { type: 'get', name: 'items', xmlns: NS_SASLCERT, stages: ['established'], handle: items },
  { type: 'set', name: 'append', xmlns: NS_SASLCERT, stages: ['established'], handle: append },
  { type: 'set', name: 'disable', xmlns: NS_SASLCERT, stages: ['established'], handle: changeState('disabled') },
  { type: 'set', name: 'revoke', xmlns: NS_SASLCERT, stages: ['established'], handle: changeState('revoked') },
];
