// Live sessions from the location service (never an IP address: it does not hold one), and kicks.
import type { FastifyRequest } from 'fastify';
import { parseJid } from '@parley/jid';
import type { ResourceEntry } from '@parley/location';
import { callerOf } from '../auth.ts';
import { type AdminContext, kickSessions } from '../context.ts';
import { ApiError } from '../errors.ts';
import { limit, reasonBody } from './schemas.ts';

function sessionView(e: ResourceEntry) {
  return { jid: e.jid, edge: e.edge, conn: e.conn, priority: e.priority, available: e.available, sm: e.sm === true, carbons: e.carbons === true };
}

export function sessionsRoutes(ctx: AdminContext): void {
  const { config, location, routes } = ctx;

  /** A JID of this server's domain: bare (every resource) or full (one). */
  function target(input: string): { bare: string; full: string | null } {
    let jid: ReturnType<typeof parseJid>;
    try {
      jid = parseJid(input);
    } catch (err) {
      throw new ApiError('bad-request', `"${input}" is not a JID: ${(err as Error).message}`);
    }
    if (jid.domain !== config.domain || !jid.local) throw new ApiError('bad-request', `${input} is not an account of ${config.domain}`);
    return { bare: jid.bareString(), full: jid.resource ? jid.toString() : null };
  }

  routes.define({
    method: 'GET',
    url: '/api/sessions',
    tag: 'sessions',
    summary: 'Online sessions: of one account, or all of them a page at a time',
    access: { permission: 'sessions.read' },
    querystring: {
      type: 'object',
      additionalProperties: false,
      properties: { user: { type: 'string', maxLength: 3071, description: 'a bare JID: only its sessions' }, cursor: { type: 'string', maxLength: 3071, description: 'from the previous page' }, limit: limit(100, 1000) },
    },
    ok: { status: 200, description: '{ sessions: [{ jid, edge, conn, priority, available, sm, carbons }], cursor: string or null }' },
    handler: async (req: FastifyRequest<{ Querystring: { user?: string; cursor?: string; limit: number } }>) => {
      if (req.query.user !== undefined) {
        const { bare } = target(req.query.user);
        return { sessions: (await location.resources(bare)).map(sessionView), cursor: null };
      }
      const page = await location.list({ cursor: req.query.cursor, limit: req.query.limit });
      return { sessions: page.entries.map(sessionView), cursor: page.cursor };
    },
  });

  routes.define({
    method: 'POST',
    url: '/api/sessions/kick',
    tag: 'sessions',
    summary: 'Close a session (full JID) or every session of an account (bare JID) with a policy-violation stream error carrying the reason',
    access: { permission: 'sessions.kick' },
    body: { ...reasonBody, required: ['jid'], properties: { ...reasonBody.properties, jid: { type: 'string', minLength: 1, maxLength: 3071 } } },
    ok: { status: 200, description: '{ kicked: [full JIDs] }' },
    errors: [404],
    handler: async (req: FastifyRequest<{ Body: { jid: string; reason?: string } }>) => {
      const { bare, full } = target(req.body.jid);
      const entries = (await location.resources(bare)).filter((e) => full === null || e.jid === full);
      if (entries.length === 0) throw new ApiError('not-found', `${full ?? bare} has no online session`);
      kickSessions(ctx.bus, entries, req.body.reason || 'disconnected by an administrator');
      const kicked = entries.map((e) => e.jid);
      await ctx.audit.record({ actor: callerOf(req).actor, action: 'session.kick', target: full ?? bare, detail: { kicked, ...(req.body.reason ? { reason: req.body.reason } : {}) } });
      return { kicked };
    },
  });
}
