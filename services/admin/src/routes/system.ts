// The cluster view, the audit log, admin tokens, and who-am-I.
import type { FastifyRequest } from 'fastify';
import { callerOf } from '../auth.ts';
import type { AdminContext } from '../context.ts';
import { ApiError } from '../errors.ts';
import { MATRIX, ROLES } from '../roles.ts';
import { TokenInputError } from '../tokens.ts';
import { limit } from './schemas.ts';

export function systemRoutes(ctx: AdminContext): void {
  const { routes, audit, tokens } = ctx;

  routes.define({
    method: 'GET',
    url: '/api/whoami',
    tag: 'system',
    summary: 'The calling token: its id, name, role and permissions',
    access: { anyRole: true },
    ok: { status: 200, description: '{ id, name, role, permissions }' },
    handler: async (req) => {
      const { token } = callerOf(req);
      return { id: token.id, name: token.name, role: token.role, permissions: [...MATRIX[token.role]] };
    },
  });

  routes.define({
    method: 'GET',
    url: '/api/cluster',
    tag: 'system',
    summary: 'Processes and their roles, shards owned, edges and their connection counts, accounts and sessions',
    access: { permission: 'cluster.read' },
    ok: { status: 200, description: 'a cluster snapshot' },
    handler: () => ctx.cluster.snapshot(),
  });

  routes.define({
    method: 'GET',
    url: '/api/audit',
    tag: 'system',
    summary: 'The audit log, newest first: actor, action, target, time and detail of every change',
    access: { permission: 'audit.read' },
    querystring: {
      type: 'object',
      additionalProperties: false,
      properties: { limit: limit(50, 500), before: { type: 'integer', minimum: 1, description: 'entries older than this id' }, target: { type: 'string', maxLength: 3071, description: 'only changes to this JID or token' } },
    },
    ok: { status: 200, description: '{ entries: [{ id, at, actor, action, target, detail }] }' },
    handler: async (req: FastifyRequest<{ Querystring: { limit: number; before?: number; target?: string } }>) => ({ entries: await audit.list(req.query) }),
  });

  routes.define({
    method: 'GET',
    url: '/api/tokens',
    tag: 'tokens',
    summary: 'Admin tokens (never their secrets)',
    access: { permission: 'tokens.manage' },
    ok: { status: 200, description: '{ tokens: [{ id, name, role, createdAt, createdBy, revokedAt }] }' },
    handler: async () => ({ tokens: await tokens.list() }),
  });

  routes.define({
    method: 'POST',
    url: '/api/tokens',
    tag: 'tokens',
    summary: 'Create a token; its text is in this answer only',
    access: { permission: 'tokens.manage' },
    body: { type: 'object', required: ['name', 'role'], additionalProperties: false, properties: { name: { type: 'string', minLength: 1, maxLength: 64 }, role: { type: 'string', enum: [...ROLES] } } },
    ok: { status: 201, description: '{ token, id, name, role, createdAt, createdBy }' },
    handler: async (req: FastifyRequest<{ Body: { name: string; role: string } }>) => {
      const { actor } = callerOf(req);
      try {
        const { token, info } = await tokens.create({ ...req.body, createdBy: actor });
        await audit.record({ actor, action: 'token.create', target: `token:${info.id}`, detail: { name: info.name, role: info.role } });
        return { token, ...info };
      } catch (err) {
        if (err instanceof TokenInputError) throw new ApiError('bad-request', err.message);
        throw err;
      }
    },
  });

  routes.define({
    method: 'DELETE',
    url: '/api/tokens/:id',
    tag: 'tokens',
    summary: 'Revoke a token at once',
    access: { permission: 'tokens.manage' },
    params: { type: 'object', required: ['id'], properties: { id: { type: 'string', pattern: '^[0-9a-f]{16}$', description: 'the token id (16 hex digits)' } } },
    ok: { status: 200, description: '{ id, revoked: true }' },
    errors: [404],
    handler: async (req: FastifyRequest<{ Params: { id: string } }>) => {
      if (!(await tokens.revoke(req.params.id))) throw new ApiError('not-found', `no active token ${req.params.id}`);
      await audit.record({ actor: callerOf(req).actor, action: 'token.revoke', target: `token:${req.params.id}` });
      return { id: req.params.id, revoked: true };
    },
  });
}
