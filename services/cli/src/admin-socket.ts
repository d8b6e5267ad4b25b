// A local control socket in the data directory, so `parley user …` (and `room …`) works while the embedded
// server holds the database. Only processes that can open the directory (mode 0700) reach it.
import { existsSync, unlinkSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import type { Bus } from '@parley/bus';
import type { ParleyConfig } from '@parley/config';
import type { Logger } from '@parley/log';
import type { Store } from '@parley/store';
import type { WireMessage } from '@parley/wire';
import Fastify from 'fastify';
import { listUsers, UserError, usernameOf } from '@parley/admin';
import { auditedCommands } from './audited.ts';
import { signInRoutes } from './signins.ts';
import { componentRoutes } from './components.ts';
import { certRoutes } from './certs.ts';
import { mountRoomRoutes, roomActorsOn, storeRoomOps } from './rooms.ts';

export interface AdminSocket {
  close(): Promise<void>;
}

function adminSocketPath(dataDir: string): string {
  return join(dataDir, 'admin.sock');
}

/** `bus`: the running server's, so `parley room config|destroy` reach the room actors. */
export async function startAdminSocket(deps: { config: ParleyConfig; store: Store; log: Logger; unlock?: (user: string) => Promise<void>; bus?: Bus<WireMessage> }): Promise<AdminSocket> {
  const { config, store } = deps;
  const path = adminSocketPath(config.dataDir);
  if (existsSync(path)) unlinkSync(path); // we hold the data-dir lock, so it is stale
  const app = Fastify({ logger: false });
  app.setErrorHandler((err, _req, reply) => {
    if (err instanceof UserError) return reply.code(400).send({ error: err.message });
    deps.log.error('admin socket failure', { err });
    return reply.code(500).send({ error: 'internal error' });
  });
  const cmd = auditedCommands(store, config, deps.log);
  type Body = { user?: string; password?: string; count?: number; start?: number; userPattern?: string; passwordPattern?: string; role?: string; name?: string };
  app.post<{ Body: Body }>('/users', async (req) => ({ jid: await cmd.addUser(req.body.user ?? '', req.body.password ?? '') }));
  app.delete<{ Params: { user: string } }>('/users/:user', async (req) => ({ jid: await cmd.deleteUser(req.params.user) }));
  app.put<{ Params: { user: string }; Body: Body }>('/users/:user/password', async (req) => ({
    jid: await cmd.setPassword(req.params.user, req.body.password ?? ''),
  }));
  app.get('/users', async () => ({ users: await listUsers(store, config) }));
  app.get<{ Params: { user: string } }>('/users/:user/fast-tokens', async (req) => cmd.listFastTokens(req.params.user));
  app.delete<{ Params: { user: string }; Querystring: { client?: string } }>('/users/:user/fast-tokens', async (req) => cmd.revokeFastTokens(req.params.user, req.query.client));
  // Brute-force locks live in the running edge's memory in embedded mode (docs/security.md).
  app.post<{ Params: { user: string } }>('/users/:user/unlock', async (req) => {
    const user = usernameOf(req.params.user, config.domain);
    await deps.unlock?.(user);
    deps.log.info('account unlocked', { user, by: 'cli' });
    return { jid: `${user}@${config.domain}` };
  });
  signInRoutes(app, store, config, deps.log);
  componentRoutes(app, store, config, deps.log);
  certRoutes(app, store, config, deps.log, deps.bus);
  app.post<{ Body: Body }>('/admin-tokens', async (req) => cmd.createToken(req.body.role ?? '', req.body.name ?? ''));
  app.get('/admin-tokens', async () => ({ tokens: await cmd.listTokens() }));
  app.delete<{ Params: { id: string } }>('/admin-tokens/:id', async (req) => ({ id: await cmd.revokeToken(req.params.id) }));
  app.post<{ Body: { inviter?: string; ttlMs?: number; account?: boolean } }>('/invitations', async (req) => cmd.createInvitation(req.body.inviter || undefined, req.body.ttlMs ?? 0, req.body.account === true));
  app.get<{ Querystring: { inviter?: string } }>('/invitations', async (req) => ({ invitations: await cmd.listInvitations(req.query.inviter || undefined) }));
  app.delete<{ Params: { id: string } }>('/invitations/:id', async (req) => ({ id: await cmd.revokeInvitation(req.params.id) }));
  app.post<{ Body: Body }>('/users/bulk', async (req) =>
    cmd.bulkAdd({
      count: req.body.count ?? 0,
      start: req.body.start ?? 1,
      userPattern: req.body.userPattern ?? '',
      passwordPattern: req.body.passwordPattern ?? '',
    }),
  );
  mountRoomRoutes(app, storeRoomOps(store, config, deps.bus ? roomActorsOn(deps.bus) : undefined));
  await app.listen({ path });
  return { close: () => app.close() };
}

/** Call the running server's admin socket; resolves with the JSON body or rejects with its error text. */
export function callAdminSocket(dataDir: string, method: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = request(
      {
        socketPath: adminSocketPath(dataDir),
        method,
        path,
        headers: payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {},
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c) => (text += c));
        res.on('end', () => {
          let json: Record<string, unknown> = {};
          try {
            json = JSON.parse(text) as Record<string, unknown>;
          } catch {
            // fall through with an empty body
          }
          if ((res.statusCode ?? 500) >= 400) reject(new UserError(String(json.error ?? `server answered ${res.statusCode}`)));
          else resolve(json);
        });
      },
    );
    req.on('error', reject);
    if (payload) req.write(payload);
    req.end();
  });
}
