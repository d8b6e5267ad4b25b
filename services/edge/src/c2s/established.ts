// An established stream: nonzas go to the module that owns their namespace; stanzas are admitted
// (admission.ts) and handed to their actor, with every module told when each one was handled.
import { chatroomDomain } from '@parley/config';
import type { Jid } from '@parley/jid';
import { mayReplyWithError, type StanzaErrorCondition, stanzaErrorReply } from '@parley/stanza';
import type { Element } from '@parley/xml';
import { admit } from './admission.ts';
import type { C2SConnection } from './connection.ts';
import { answerLocalIq } from './local-iq.ts';

export function onEstablished(conn: C2SConnection, el: Element, jid: Jid): void {
  const owner = conn.hooks.find((h) => h.xmlns !== undefined && h.xmlns === el.getNS());
  if (owner?.nonza) {
    owner.nonza(el, true);
    return;
  }
  for (const h of conn.hooks) h.received?.(el);
  // Hot path: no allocation unless a module (stream management) wants to hear when it was handled.
  let settled: Array<() => void> | undefined;
  for (const h of conn.hooks) {
    const done = h.stanzaIn?.();
    if (!done) continue;
    if (settled) settled.push(done);
    else settled = [done];
  }
  const pending = handle(conn, el, jid);
  if (!settled) return;
  const finish = () => {
    for (const done of settled) done();
  };
  if (pending) void pending.finally(finish);
  else finish();
}

/** A promise when the stanza went to an actor: settled once the actor accepted (or refused) it. */
function handle(conn: C2SConnection, el: Element, jid: Jid): Promise<void> | undefined {
  const { ctx } = conn;
  const a = ctx.limits.stanza(conn, el) ?? admit(el, jid, ctx.config.domain, ctx.ext, chatroomDomain(ctx.config), ctx.config.s2sPolicy !== 'off' || ctx.config.components);
  if (a.kind === 'stream-error') {
    conn.streamError(a.condition, a.text);
    return;
  }
  ctx.metrics.stanzaIn(el.name);
  switch (a.kind) {
    case 'refuse':
      replyError(conn, el, a.condition, a.text);
      return;
    case 'reply':
      conn.sendStanza(a.reply.toString());
      return;
    case 'local':
      return answerLocalIq(conn, a.local, el);
    case 'drop':
      return;
    case 'route':
      // The edge follows the session's own availability so that a dropped connection broadcasts unavailable.
      if (el.name === 'presence' && el.attr('to') === undefined) {
        const type = el.attr('type');
        if (type === undefined) conn.available = true;
        else if (type === 'unavailable') conn.available = false;
      }
      return ctx.route(el, a.service, a.key, conn, conn.stanzaHandOffId()).catch((err: { condition?: string; text?: string }) => {
        const busy = err?.condition === 'resource-constraint';
        if (!busy) conn.log.error('routing failed', { err });
        replyError(conn, el, busy ? 'resource-constraint' : 'internal-server-error', busy ? (err.text ?? 'the server is busy, try again') : undefined);
      });
  }
}

function replyError(conn: C2SConnection, el: Element, condition: StanzaErrorCondition, text?: string): void {
  if (!mayReplyWithError(el)) return;
  conn.sendStanza(stanzaErrorReply(el, condition, { text, from: el.attr('to') ?? conn.ctx.config.domain }).toString());
}
