// PEP (XEP-0163) helpers for xmpp.js test clients: entity capabilities with +notify interest
// (XEP-0115, answered like a real client), subscriptions both ways, publish and fetch.
import { createHash } from 'node:crypto';
import { type XmppJsClient, type XmlElement, xml } from './xmppjs.ts';

export const NS_PUBSUB = 'http://jabber.org/protocol/pubsub';
export const NS_EVENT = 'http://jabber.org/protocol/pubsub#event';
export const NS_OWNER = 'http://jabber.org/protocol/pubsub#owner';
export const NS_ERRORS = 'http://jabber.org/protocol/pubsub#errors';
const NS_CAPS = 'http://jabber.org/protocol/caps';
const NS_DISCO_INFO = 'http://jabber.org/protocol/disco#info';
const CAPS_NODE = 'https://parley.test/xmppjs';

let clients = 0;

/**
 * XEP-0115 §5.1: advertise `features` (e.g. 'urn:xmpp:avatar:metadata+notify') in available
 * presence and answer the server's disco#info about them. The identity name is unique per call, so
 * the hash is new and the server has to ask; resolves once it asked and has the answer.
 */
export async function advertiseCaps(c: XmppJsClient, features: string[]): Promise<string> {
  clients += 1;
  const identity = { category: 'client', type: 'pc', name: `parley-test-${process.pid}-${clients}-${Date.now()}` };
  const all = [NS_DISCO_INFO, NS_CAPS, ...features].sort();
  const s = `${identity.category}/${identity.type}//${identity.name}<${all.map((f) => `${f}<`).join('')}`;
  const ver = createHash('sha1').update(s).digest('base64');
  // xmpp.js answers gets registered with iqCallee.get (the harness's typings declare only set).
  const callee = c.xmpp.iqCallee as unknown as { get(ns: string, name: string, fn: (ctx: { element: XmlElement }) => XmlElement): void };
  callee.get(NS_DISCO_INFO, 'query', (ctx) =>
    xml('query', { xmlns: NS_DISCO_INFO, node: ctx.element.attrs.node }, xml('identity', identity), ...all.map((f) => xml('feature', { var: f }))),
  );
  await c.send(xml('presence', {}, xml('c', { xmlns: NS_CAPS, hash: 'sha-1', node: CAPS_NODE, ver })));
  await c.next((e) => e.is('iq') && e.attrs.type === 'get' && e.getChild('query', NS_DISCO_INFO)?.attrs.node === `${CAPS_NODE}#${ver}`, 'the server asking about our caps');
  // The answer went to our session actor before this ping, which is handled after it.
  await c.ping();
  return ver;
}

/** `from` subscribes to `to`'s presence and `to` approves (RFC 6121 §3.1). */
export async function subscribe(from: XmppJsClient, fromJid: string, to: XmppJsClient, toJid: string): Promise<void> {
  await from.send(xml('presence', { to: toJid, type: 'subscribe' }));
  await to.next((e) => e.is('presence') && e.attrs.type === 'subscribe' && (e.attrs.from ?? '').startsWith(fromJid), 'the subscription request');
  await to.send(xml('presence', { to: fromJid, type: 'subscribed' }));
  await from.next((e) => e.is('presence') && e.attrs.type === 'subscribed', 'the approval');
}

export function publishOptions(fields: Record<string, string>): XmlElement {
  return xml(
    'publish-options',
    {},
    xml(
      'x',
      { xmlns: 'jabber:x:data', type: 'submit' },
      xml('field', { var: 'FORM_TYPE', type: 'hidden' }, xml('value', {}, 'http://jabber.org/protocol/pubsub#publish-options')),
      ...Object.entries(fields).map(([k, v]) => xml('field', { var: k }, xml('value', {}, v))),
    ),
  );
}

export function publish(c: XmppJsClient, node: string, id: string | undefined, payload: XmlElement, options?: Record<string, string>): Promise<XmlElement> {
  return c.iq(xml('iq', { type: 'set' }, xml('pubsub', { xmlns: NS_PUBSUB }, xml('publish', { node }, xml('item', { id }, payload)), options ? publishOptions(options) : undefined)));
}

export async function items(c: XmppJsClient, owner: string | undefined, node: string, attrs: Record<string, string> = {}, ids: string[] = []): Promise<XmlElement[]> {
  const r = await c.iq(xml('iq', { type: 'get', to: owner }, xml('pubsub', { xmlns: NS_PUBSUB }, xml('items', { node, ...attrs }, ...ids.map((id) => xml('item', { id }))))));
  return r.getChild('pubsub', NS_PUBSUB)?.getChild('items')?.getChildren('item') ?? [];
}

/** The next PEP event message of `node` from `owner`. */
export function nextEvent(c: XmppJsClient, owner: string, node: string, what: string): Promise<XmlElement> {
  return c.next((e) => e.is('message') && e.attrs.from === owner && e.getChild('event', NS_EVENT)?.getChild('items')?.attrs.node === node, what);
}

export const eventItems = (m: XmlElement) => m.getChild('event', NS_EVENT)?.getChild('items');

/** Pubsub events of `node` still in the inbox (taken out). */
export const eventsIn = (c: XmppJsClient, node: string) => c.inbox.take((e) => e.is('message') && e.getChild('event', NS_EVENT)?.getChild('items')?.attrs.node === node);

/** An IQ error's stanza condition and its pubsub#errors condition (XEP-0060 §7-§8). */
export async function iqError(p: Promise<unknown>): Promise<{ condition: string; app: string | undefined }> {
  try {
    await p;
  } catch (e) {
    const err = e as { condition?: string; application?: XmlElement };
    return { condition: err.condition ?? '?', app: err.application?.attrs.xmlns === NS_ERRORS ? err.application.name : undefined };
  }
  throw new Error('expected an IQ error');
}
