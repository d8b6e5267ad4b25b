// A raw-socket SASL2 (XEP-0388) client for byte-exact tests: SCRAM-SHA-256(-PLUS) and the FAST
// hashed-token mechanisms, with any inline request (Bind2, FAST) the test wants to send.
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import { hashedTokenInitial, serverEndPoint } from '@parley/sasl';
import { type Element, xml } from '@parley/xml';
import { NS, RawClient } from './raw.ts';

export const SASL2 = 'urn:xmpp:sasl:2';
export const BIND2 = 'urn:xmpp:bind:0';
export const FAST = 'urn:xmpp:fast:0';

/** A raw client after STARTTLS, with the features offered on the secure stream. */
export async function secureRaw(port: number, domain: string): Promise<{ c: RawClient; features: Element }> {
  const c = await RawClient.open(port, domain);
  let last: Element | null = null;
  const push = c.inbox.push.bind(c.inbox);
  c.inbox.push = (el: Element) => {
    if (el.is('features', NS.stream)) last = el;
    push(el);
  };
  await c.startStream();
  await c.starttls();
  if (!last) throw new Error('no features after STARTTLS');
  return { c, features: last };
}

/** Channel-binding data of the client side of the raw client's TLS socket. */
export function clientChannelBinding(c: RawClient, type: 'tls-exporter' | 'tls-server-end-point'): Buffer {
  const socket = (c as unknown as { socket: TLSSocket }).socket;
  if (type === 'tls-exporter') return socket.exportKeyingMaterial(32, 'EXPORTER-Channel-Binding', Buffer.alloc(0));
  const cb = serverEndPoint(socket.getPeerCertificate().raw);
  if (!cb) throw new Error('no tls-server-end-point for this certificate');
  return cb;
}

export const userAgent = (id: string, software = 'Parley tests', device = 'CI') =>
  xml('user-agent', { id }, xml('software', null, software), xml('device', null, device));

/** The outcome of one SASL2 exchange: the element that ended it, and the features that followed a success. */
export interface Sasl2Outcome {
  outcome: Element;
  features: Element | null;
}

const isOutcome = (e: Element) => e.getNS() === SASL2 && (e.name === 'success' || e.name === 'failure' || e.name === 'challenge');

/** The SASL2 failure's RFC 6120 condition (or 'success'). */
export function conditionOf(o: Sasl2Outcome): string {
  if (o.outcome.name === 'success') return 'success';
  return o.outcome.getChildElements().find((e) => e.getNS() === NS.sasl)?.name ?? '(none)';
}

/** SCRAM-SHA-256, or -PLUS with tls-exporter, through SASL2 with `extra` children in <authenticate/>. */
export async function scramSasl2(c: RawClient, username: string, password: string, extra: Element[], opts: { plus?: boolean } = {}): Promise<Sasl2Outcome> {
  const cbType = opts.plus ? 'tls-exporter' : null;
  const gs2 = cbType ? `p=${cbType},,` : 'n,,';
  const nonce = randomBytes(18).toString('base64');
  const firstBare = `n=${username},r=${nonce}`;
  const mechanism = opts.plus ? 'SCRAM-SHA-256-PLUS' : 'SCRAM-SHA-256';
  c.send(xml('authenticate', { xmlns: SASL2, mechanism }, xml('initial-response', null, Buffer.from(gs2 + firstBare).toString('base64')), ...extra));
  const challenge = await c.next(isOutcome, 'SASL2 challenge');
  if (challenge.name !== 'challenge') return { outcome: challenge, features: null };
  const serverFirst = Buffer.from(challenge.text(), 'base64').toString();
  const attrs = Object.fromEntries(serverFirst.split(',').map((a) => [a[0], a.slice(2)]));
  const salted = pbkdf2Sync(password, Buffer.from(attrs.s ?? '', 'base64'), Number(attrs.i), 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest();
  const cbind = Buffer.concat([Buffer.from(gs2), cbType ? clientChannelBinding(c, cbType) : Buffer.alloc(0)]);
  const withoutProof = `c=${cbind.toString('base64')},r=${attrs.r}`;
  const authMessage = `${firstBare},${serverFirst},${withoutProof}`;
  const signature = createHmac('sha256', storedKey).update(authMessage).digest();
  const proof = Buffer.from(clientKey.map((b, i) => b ^ (signature[i] ?? 0)));
  const serverSignature = createHmac('sha256', createHmac('sha256', salted).update('Server Key').digest()).update(authMessage).digest();
  c.send(xml('response', { xmlns: SASL2 }, Buffer.from(`${withoutProof},p=${proof.toString('base64')}`).toString('base64')));
  const outcome = await c.next(isOutcome, 'SASL2 outcome');
  if (outcome.name !== 'success') return { outcome, features: null };
  // §2.6.1: additional-data carries the SCRAM server-final-message, which the client verifies.
  const v = Buffer.from(outcome.getChildText('additional-data') ?? '', 'base64').toString();
  if (v !== `v=${serverSignature.toString('base64')}`) throw new Error(`server signature did not verify: ${v}`);
  const features = await c.next((e) => e.is('features', NS.stream), 'features after SASL2 success');
  return { outcome, features };
}

/** A FAST token authentication (XEP-0484 §3.4) with a hashed-token mechanism. */
export async function fastSasl2(c: RawClient, username: string, token: string, mechanism: string, extra: Element[]): Promise<Sasl2Outcome> {
  const cb =
    mechanism === 'HT-SHA-256-EXPR' ? clientChannelBinding(c, 'tls-exporter') : mechanism === 'HT-SHA-256-ENDP' ? clientChannelBinding(c, 'tls-server-end-point') : Buffer.alloc(0);
  c.send(xml('authenticate', { xmlns: SASL2, mechanism }, xml('initial-response', null, hashedTokenInitial(username, token, cb).toString('base64')), ...extra));
  const outcome = await c.next(isOutcome, 'FAST outcome');
  if (outcome.name !== 'success') return { outcome, features: null };
  const expected = createHmac('sha256', Buffer.from(token)).update('Responder').update(cb).digest();
  const got = Buffer.from(outcome.getChildText('additional-data') ?? '', 'base64');
  if (!got.equals(expected)) throw new Error('the server did not prove it holds the token');
  const features = await c.next((e) => e.is('features', NS.stream), 'features after FAST success');
  return { outcome, features };
}

/** The <token/> of a success, if any. */
export function tokenOf(o: Sasl2Outcome): { token: string; expiry: string } | null {
  const t = o.outcome.getChild('token', FAST);
  return t ? { token: t.attr('token') ?? '', expiry: t.attr('expiry') ?? '' } : null;
}
