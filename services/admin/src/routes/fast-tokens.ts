// XEP-0484 FAST tokens of an account: list them, revoke them (all, or one client's).
import type { FastifyRequest } from 'fastify';
import { UserError } from '../accounts.ts';
import { callerOf } from '../auth.ts';
import type { AdminContext } from '../context.ts';
import { ApiError } from '../errors.ts';
import { listFastTokens, revokeFastTokens } from '../fast-tokens.ts';
import { userParam } from './schemas.ts';

type UserReq<T = unknown> = FastifyRequest<{ Params: { user: string } } & T>;

const notFound = async <T>(p: Promise<T>): Promise<T> =>
  p.catch((err) => {
    throw err instanceof UserError && /does not exist/.test(err.message) ? new ApiError('not-found', err.message) : err;
  });

export function fastTokenRoutes(ctx: AdminContext): void {
  const { config, store, audit, routes } = ctx;

  routes.define({
    method: 'GET',
    url: '/api/users/:user/fast-tokens',
    tag: 'users',
    summary: 'FAST sign-in tokens (XEP-0484) per client: user agent, mechanism, creation and expiry (never the token)',
    access: { permission: 'users.read' },
    params: userParam,
    ok: { status: 200, description: '{ jid, tokens: [{ client, userAgent, mechanism, slot, createdAt, expiresAt }] }' },
    errors: [404],
    handler: async (req: UserReq) => notFound(listFastTokens(store, config, req.params.user)),
  });

  routes.define({
    method: 'DELETE',
    url: '/api/users/:user/fast-tokens',
    tag: 'users',
    summary: 'Revoke FAST tokens: all of the account, or one client (its user-agent id); its next token login fails',
    access: { permission: 'users.password' },
    params: userParam,
    querystring: { type: 'object', additionalProperties: false, properties: { client: { type: 'string', minLength: 1, maxLength: 128, description: 'the client (XEP-0388 user-agent id)' } } },
    ok: { status: 200, description: '{ jid, revoked }' },
    errors: [404],
    handler: async (req: UserReq<{ Querystring: { client?: string } }>) => {
      const r = await notFound(revokeFastTokens(store, config, req.params.user, req.query.client));
      await audit.record({ actor: callerOf(req).actor, action: 'user.fast-tokens.revoke', target: r.jid, detail: { revoked: r.revoked, ...(req.query.client ? { client: req.query.client } : {}) } });
      return r;
    },
  });
}
