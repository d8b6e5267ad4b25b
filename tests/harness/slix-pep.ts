// PEP commands of tests/clients/slix_ext_pep.py for slixmpp test clients (XEP-0163, XEP-0084, XEP-0172).
import type { SlixClient } from './slix.ts';

export interface PepEvent {
  event: 'pep';
  from: string;
  node: string;
  kind: 'item' | 'retract';
  item_id: string;
  payload: string | null;
  delayed: boolean;
}

/** +notify for `nodes` in slixmpp's own caps; resolves when the server has asked about them and has the answer. */
export function interest(c: SlixClient, ...nodes: string[]) {
  return c.command({ cmd: 'pep_interest', nodes }, 10_000);
}

export async function publish(c: SlixClient, node: string, itemId: string | undefined, payload: string, options?: Record<string, string>): Promise<string> {
  return String((await c.command({ cmd: 'pep_publish', node, item_id: itemId, payload, options })).item_id);
}

export async function items(c: SlixClient, to: string | undefined, node: string, maxItems?: number): Promise<Array<{ id: string; payload: string | null }>> {
  return (await c.command({ cmd: 'pep_items', to, node, max_items: maxItems })).items as Array<{ id: string; payload: string | null }>;
}

export function retract(c: SlixClient, node: string, itemId: string) {
  return c.command({ cmd: 'pep_retract', node, item_id: itemId });
}

export async function publishAvatar(c: SlixClient, data: Buffer, type: string): Promise<string> {
  return String((await c.command({ cmd: 'avatar_publish', data: data.toString('base64'), type })).avatar_id);
}

export async function fetchAvatar(c: SlixClient, to: string, id: string): Promise<string | null> {
  return (await c.command({ cmd: 'avatar_fetch', to, avatar_id: id })).data as string | null;
}

export function publishNick(c: SlixClient, nick: string) {
  return c.command({ cmd: 'nick_publish', nick });
}

export function nextEvent(c: SlixClient, pred: (e: PepEvent) => boolean, what: string): Promise<PepEvent> {
  return c.inbox.next((e) => e.event === 'pep' && pred(e as unknown as PepEvent), what) as unknown as Promise<PepEvent>;
}

export const eventsIn = (c: SlixClient, node: string) => c.inbox.take((e) => e.event === 'pep' && (e as unknown as PepEvent).node === node);

/** `from` subscribes to `to`'s presence and `to` approves (RFC 6121 §3.1). */
export async function befriend(from: SlixClient, fromJid: string, to: SlixClient, toJid: string): Promise<void> {
  await from.subscribe(toJid);
  await to.presence((p) => p.type === 'subscribe' && p.from.startsWith(fromJid), 'the subscription request');
  await to.approve(fromJid);
  await from.presence((p) => p.type === 'subscribed', 'the approval');
}

/** XEP-0030 disco#items of `to` (a node's items with `node`); an IQ error rejects with its condition. */
export async function discoItems(c: SlixClient, to: string, node?: string): Promise<Array<{ jid: string; node: string | null; name: string | null }>> {
  return (await c.command({ cmd: 'disco_items', to, node })).items as Array<{ jid: string; node: string | null; name: string | null }>;
}
