// Accounts: find, create, delete, lock/unlock, reset the password, sign-in history.
import type { FastifyRequest } from 'fastify';
import { addUser, deleteUser, setPassword, usernameOf } from '../accounts.ts';
import { callerOf } from '../auth.ts';
import { type AdminContext, kickSessions } from '../context.ts';
import { ApiError } from '../errors.ts';
import { limit, password, reasonBody, userParam } from './schemas.ts';

type UserReq<T = unknown> = FastifyRequest<{ Params: { user: string } } & T>;

export function usersRoutes(ctx: AdminContext): void {
  const { config, store, location, audit, routes } = ctx;
  const domain = config.domain;
  const jidOf = (username: string) => `${username}@${domain}`;

  /** The username of an existing account, or a 404. */
  async function existing(input: string): Promise<string> {
    const username = usernameOf(input, domain);
    if (!(await store.users.exists(username, domain))) throw new ApiError('not-found', `${jidOf(username)} does not exist`);
    return username;
  }

  routes.define({
    method: 'GET',
    url: '/api/users',
    tag: 'users',
    summary: 'Find accounts whose username contains a text, in byte order, a page at a time',
    access: { permission: 'users.read' },
    querystring: {
      type: 'object',
      additionalProperties: false,
      properties: { q: { type: 'string', maxLength: 1023, description: 'part of the username' }, after: { type: 'string', maxLength: 1023, description: 'the last username of the previous page' }, limit: limit(50, 500) },
    },
    ok: { status: 200, description: '{ users: [{ jid, username, createdAt, locked }], next: username or null }' },
    handler: async (req: FastifyRequest<{ Querystring: { q?: string; after?: string; limit: number } }>) => {
      const page = await store.users.find(domain, { contains: req.query.q, after: req.query.after, limit: req.query.limit });
      return {
        users: page.map((u) => ({ jid: jidOf(u.username), ...u })),
        next: page.length === req.query.limit ? page[page.length - 1]!.username : null,
      };
    },
  });

  routes.define({
    method: 'POST',
    url: '/api/users',
    tag: 'users',
    summary: 'Create an account (only SCRAM keys of the password are stored)',
    access: { permission: 'users.create' },
    body: { type: 'object', required: ['username', 'password'], additionalProperties: false, properties: { username: { type: 'string', minLength: 1, maxLength: 3071 }, password } },
    ok: { status: 201, description: '{ jid }' },
    errors: [409],
    handler: async (req: FastifyRequest<{ Body: { username: string; password: string } }>) => {
      const username = usernameOf(req.body.username, domain);
      if (await store.users.exists(username, domain)) throw new ApiError('conflict', `${jidOf(username)} already exists`);
      const jid = await addUser(store, config, username, req.body.password);
      await audit.record({ actor: callerOf(req).actor, action: 'user.create', target: jid });
      return { jid };
    },
  });

  routes.define({
    method: 'GET',
    url: '/api/users/:user',
    tag: 'users',
    summary: 'One account with its online sessions',
    access: { permission: 'users.read' },
    params: userParam,
    ok: { status: 200, description: '{ jid, username, createdAt, locked, sessions: [...] }' },
    errors: [404],
    handler: async (req: UserReq) => {
      const username = usernameOf(req.params.user, domain);
      const u = await store.users.get(username, domain);
      if (!u) throw new ApiError('not-found', `${jidOf(username)} does not exist`);
      return { jid: jidOf(username), ...u, sessions: await location.resources(jidOf(username)) };
    },
  });

  routes.define({
    method: 'DELETE',
    url: '/api/users/:user',
    tag: 'users',
    summary: 'Delete an account with its roster, offline messages and sign-in history; its sessions are closed',
    access: { permission: 'users.delete' },
    params: userParam,
    ok: { status: 200, description: '{ jid }' },
    errors: [404],
    handler: async (req: UserReq) => {
      const username = await existing(req.params.user);
      const jid = await deleteUser(store, config, username);
      kickSessions(ctx.bus, await location.resources(jid), 'the account was deleted by an administrator');
      await audit.record({ actor: callerOf(req).actor, action: 'user.delete', target: jid });
      return { jid };
    },
  });

  for (const [verb, locked] of [
    ['lock', true],
    ['unlock', false],
  ] as const) {
    routes.define({
      method: 'POST',
      url: `/api/users/:user/${verb}`,
      tag: 'users',
      summary: locked
        ? 'Lock an account: its sessions are closed and sign-in fails as with a wrong password'
        : 'Unlock an account so it can sign in again',
      access: { permission: 'users.lock' },
      params: userParam,
      body: reasonBody,
      ok: { status: 200, description: '{ jid, locked }' },
      errors: [404],
      handler: async (req: UserReq<{ Body: { reason?: string } }>) => {
        const username = usernameOf(req.params.user, domain);
        if (!(await store.users.setLocked(username, domain, locked))) throw new ApiError('not-found', `${jidOf(username)} does not exist`);
        const jid = jidOf(username);
        // The administrator's unlock also lifts a lock left by failed logins (docs/security.md).
        if (!locked) await ctx.loginLocks?.unlock(username);
        if (locked) kickSessions(ctx.bus, await location.resources(jid), req.body.reason || 'the account was locked by an administrator');
        await audit.record({ actor: callerOf(req).actor, action: locked ? 'user.lock' : 'user.unlock', target: jid, ...(req.body.reason ? { detail: { reason: req.body.reason } } : {}) });
        return { jid, locked };
      },
    });
  }

  routes.define({
    method: 'PUT',
    url: '/api/users/:user/password',
    tag: 'users',
    summary: 'Reset the password (new SCRAM keys replace the old ones; sessions stay)',
    access: { permission: 'users.password' },
    params: userParam,
    body: { type: 'object', required: ['password'], additionalProperties: false, properties: { password } },
    ok: { status: 200, description: '{ jid }' },
    errors: [404],
    handler: async (req: UserReq<{ Body: { password: string } }>) => {
      const jid = await setPassword(store, config, await existing(req.params.user), req.body.password);
      await audit.record({ actor: callerOf(req).actor, action: 'user.password', target: jid });
      return { jid };
    },
  });

  routes.define({
    method: 'GET',
    url: '/api/users/:user/logins',
    tag: 'users',
    summary: 'Sign-in history, newest first (time, IP address, client, resource, mechanism, success)',
    access: { permission: 'users.read' },
    params: userParam,
    querystring: { type: 'object', additionalProperties: false, properties: { limit: limit(20, 200) } },
    ok: { status: 200, description: '{ jid, logins: [...] }' },
    errors: [404],
    handler: async (req: UserReq<{ Querystring: { limit: number } }>) => {
      const username = await existing(req.params.user);
      return { jid: jidOf(username), logins: await store.loginHistory.recent(username, domain, req.query.limit) };
    },
  });
}
