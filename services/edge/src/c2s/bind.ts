// Resource binding (RFC 6120 §7): the last step of negotiation, after which stanzas flow.
import { randomBytes } from 'node:crypto';
import { parseJid, prepareResourcepart } from '@parley/jid';
import type { LocationService, ResourceEntry } from '@parley/location';
import { iqResult, NS, stanzaErrorReply } from '@parley/stanza';
import { type Element, xml } from '@parley/xml';
import type { C2SConnection } from './connection.ts';
import { answerLocalIq } from './local-iq.ts';
import { binding, signedIn } from './sign-in.ts';
import type { Authenticated } from './state.ts';

/** An element in wait_for_bind: the bind IQ, an IQ a module answers here, or a nonza; anything else is refused. */
export function beforeBind(conn: C2SConnection, el: Element, auth: Authenticated): void {
  const ns = el.getNS();
  const hooks = conn.hooks.find((h) => h.xmlns !== undefined && h.xmlns === ns);
  if (hooks?.nonza) {
    hooks.nonza(el, false);
    return;
  }
  const payload = el.is('iq') ? el.getChildElements()[0] : undefined;
  const bind = payload?.is('bind', NS.bind) ? payload : undefined;
  if (!bind || el.attr('type') !== 'set') {
    const local = payload ? conn.ctx.ext.localIq('before-bind', el.attr('type') ?? '', payload.getNS(), payload.name) : undefined;
    if (local) void answerLocalIq(conn, local, el);
    else conn.streamError('not-authorized', 'bind a resource first');
    return;
  }
  const requested = bind.getChildText('resource');
  let resource: string;
  try {
    resource = requested && requested.trim() !== '' ? prepareResourcepart(requested) : randomBytes(8).toString('hex');
  } catch {
    // §7.7.2.1: a resource that cannot be prepared is bad-request.
    conn.sendStanza(stanzaErrorReply(el, 'bad-request', { text: 'resource cannot be prepared', from: undefined }).toString());
    return;
  }
  conn.input.hold();
  bindResource(conn, el, auth, resource).then(
    () => conn.input.release(),
    (err) => {
      conn.log.error('bind failed', { err });
      conn.sendStanza(stanzaErrorReply(el, 'internal-server-error').toString());
      conn.input.release();
    },
  );
}

async function bindResource(conn: C2SConnection, el: Element, auth: Authenticated, resource: string): Promise<void> {
  const { ctx } = conn;
  const jid = parseJid(`${auth.user}@${ctx.config.domain}/${resource}`);
  const verdict = await binding(conn, jid, auth);
  if (!verdict.ok) {
    // §7.6.2.1: e.g. resource-constraint when the account has reached its limit of sessions.
    conn.sendStanza(stanzaErrorReply(el, verdict.condition, { text: verdict.text }).toString());
    return;
  }
  const entry: ResourceEntry = { jid: jid.toString(), edge: ctx.edgeId, conn: conn.id, priority: 0, available: false };
  const reg = await ctx.location.register(entry);
  if (!reg.ok) {
    // §7.7.2.2: the newer session wins; the old one gets a conflict stream error.
    ctx.kick(reg.current, 'conflict', 'replaced by a new connection for the same resource');
    if (!(await replaceEntry(ctx.location, entry, reg.current.conn))) {
      conn.sendStanza(stanzaErrorReply(el, 'conflict', { text: 'resource is in use' }).toString());
      return;
    }
  }
  if (conn.isClosed()) {
    await ctx.location.unregister(entry.jid, conn.id);
    return;
  }
  conn.established(jid, auth);
  conn.sendStanza(iqResult(el, xml('bind', { xmlns: NS.bind }, xml('jid', null, jid.toString()))).toString());
  conn.log.info('session established', { jid: jid.toString(), ip: conn.transport.remoteAddress, mechanism: auth.mechanism });
  signedIn(conn, jid, auth);
}

export async function replaceEntry(location: LocationService, entry: ResourceEntry, expected: string): Promise<boolean> {
  if (await location.replace(entry, expected)) return true;
  // The old owner vanished in between: a plain register then works.
  return (await location.register(entry)).ok;
}
