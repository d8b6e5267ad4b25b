// Who is calling and may they: every /api route declares a permission (or `public`), and this
// guard checks the caller's bearer token (RFC 6750 §2.1) against the role matrix before the handler.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ApiError } from './errors.ts';
import { allows, type Permission } from './roles.ts';
import type { TokenInfo, TokenRepo } from './tokens.ts';

export interface RouteAccess {
  /** Needed to call the route; omitted only with `public` or `anyRole`. */
  permission?: Permission;
  /** No token needed (the OpenAPI document). */
  public?: boolean;
  /** Any valid token (who am I). */
  anyRole?: boolean;
}

export interface Caller {
  token: TokenInfo;
  /** How the audit log names the caller. */
  actor: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    caller: Caller | null;
  }
  interface FastifyContextConfig {
    access?: RouteAccess;
  }
}

function actorOf(t: TokenInfo): string {
  return `token:${t.id} (${t.name})`;
}

export function installAuth(app: FastifyInstance, tokens: TokenRepo): void {
  app.decorateRequest('caller', null);
  app.addHook('onRequest', async (req) => {
    if (!req.url.startsWith('/api/')) return; // the console's static files
    const access = req.routeOptions.config.access;
    if (access?.public) return;
    const header = req.headers.authorization;
    if (!header) throw new ApiError('unauthorized', 'send an admin token: Authorization: Bearer <token> (create one with `parley admin token create`)');
    const m = /^Bearer ([^\s]+)$/i.exec(header);
    if (!m) throw new ApiError('unauthorized', 'the Authorization header must be "Bearer <token>"');
    const token = await tokens.verify(m[1]!);
    if (!token) throw new ApiError('unauthorized', 'the token is unknown, revoked or malformed');
    req.caller = { token, actor: actorOf(token) };
    if (access?.anyRole) return;
    // A route that forgot to declare its permission is closed, not open.
    if (!access?.permission) throw new ApiError('forbidden', 'this route declares no permission');
    if (!allows(token.role, access.permission)) {
      throw new ApiError('forbidden', `the ${token.role} role may not do this (needs ${access.permission})`);
    }
  });
}

export function callerOf(req: FastifyRequest): Caller {
  if (!req.caller) throw new ApiError('unauthorized', 'not signed in');
  return req.caller;
}
