// Bind2 (XEP-0386): resource binding inside the SASL2 <authenticate/>, with the features that
// modules let clients enable in the same request (libs/ext `bind2Inline`: carbons, stream
// management, …). The edge knows no inline feature by name.
import { createHash, randomBytes } from 'node:crypto';
import type { EdgeExtensions } from '@parley/ext';
import { type Jid, parseJid, prepareResourcepart } from '@parley/jid';
import type { ResourceEntry } from '@parley/location';
import { type Element, xml } from '@parley/xml';
import { replaceEntry } from './bind.ts';
import type { C2SConnection } from './connection.ts';
import { binding } from './sign-in.ts';
import type { Authenticated } from './state.ts';

export const NS_BIND2 = 'urn:xmpp:bind:0';

/** §2.1: the Bind2 inline feature of SASL2, listing what the loaded modules can enable inline. */
export function bind2Feature(ext: EdgeExtensions): Element {
  const vars = ext.bind2Inline();
  return xml('bind', { xmlns: NS_BIND2 }, vars.length ? xml('inline', null, ...vars.map((v) => xml('feature', { var: v }))) : null);
}

/**
 * §3: the server chooses the resource. It is the client's tag (when it is a valid resourcepart)
 * and a part derived from the account and the XEP-0388 user-agent id, so one installation keeps
 * one resource across reconnects (and a reconnect replaces its stale session); random without an id.
 */
export function bind2Resource(user: string, tag: string | null, userAgentId: string | null): string {
  const suffix = userAgentId
    ? createHash('sha256').update(`${user}\0${userAgentId}`).digest('hex').slice(0, 12)
    : randomBytes(6).toString('hex');
  let prefix: string | null = null;
  if (tag && tag.trim() !== '') {
    try {
      prefix = prepareResourcepart(tag.trim().slice(0, 64));
    } catch {
      prefix = null; // a tag that cannot be a resourcepart is left out
    }
  }
  return prefix ? `${prefix}.${suffix}` : suffix;
}

/** The asynchronous half: the resource's location entry (the newer session wins, as RFC 6120 §7.7.2.2). */
export async function reserveBind2(
  conn: C2SConnection,
  auth: Authenticated,
  bind: Element,
  userAgentId: string | null,
): Promise<{ ok: true; jid: Jid } | { ok: false; text: string }> {
  const { ctx } = conn;
  const resource = bind2Resource(auth.user, bind.getChildText('tag') ?? null, userAgentId);
  const jid = parseJid(`${auth.user}@${ctx.config.domain}/${resource}`);
  const verdict = await binding(conn, jid, auth);
  if (!verdict.ok) return { ok: false, text: verdict.text };
  const entry: ResourceEntry = { jid: jid.toString(), edge: ctx.edgeId, conn: conn.id, priority: 0, available: false };
  const reg = await ctx.location.register(entry);
  if (!reg.ok) {
    ctx.kick(reg.current, 'conflict', 'replaced by a new connection for the same resource');
    if (!(await replaceEntry(ctx.location, entry, reg.current.conn))) return { ok: false, text: 'the resource is in use' };
  }
  if (conn.isClosed()) {
    await ctx.location.unregister(entry.jid, conn.id);
    return { ok: false, text: 'the connection closed' };
  }
  return { ok: true, jid };
}

/**
 * The synchronous half: the stream is established, then each inline request goes to the module
 * that advertised its namespace (§2.2: requests for features not offered are ignored). Returns
 * <bound/> with what the modules answered, and the namespaces enabled inline.
 */
export function completeBind2(conn: C2SConnection, jid: Jid, auth: Authenticated, bind: Element): { element: Element; inline: Set<string> } {
  const { ctx } = conn;
  conn.established(jid, auth);
  const bound = xml('bound', { xmlns: NS_BIND2 });
  const inline = new Set<string>();
  const offered = new Set(ctx.ext.bind2Inline());
  for (const child of bind.getChildElements()) {
    const ns = child.getNS();
    if (!ns || !offered.has(ns)) continue;
    const hooks = conn.hooks.find((h) => h.xmlns === ns && h.bindInline);
    if (!hooks?.bindInline) continue;
    const answer = hooks.bindInline(child);
    inline.add(ns);
    if (answer) bound.append(answer);
  }
  conn.log.info('session established', { jid: jid.toString(), ip: conn.transport.remoteAddress, mechanism: auth.mechanism, bind2: true });
  return { element: bound, inline };
}
