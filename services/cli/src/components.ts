// `parley component add <domain> [--secret S] | list | del <domain>`: external components
// (XEP-0114) an operator lets in. The secret is sealed with the server secret before it is stored
// (decision 0025); without --secret one is generated and shown once. Through the running embedded
// server's admin socket when it holds the database (decision 0005), otherwise on the database itself.
import { randomBytes } from 'node:crypto';
import { auditLog, UserError } from '@parley/admin';
import { chatroomDomain, type ParleyConfig } from '@parley/config';
import { tryParseJid } from '@parley/jid';
import type { Logger } from '@parley/log';
import { serverKeys } from '@parley/s2s';
import { componentRepo, type Store } from '@parley/store';
import type { FastifyInstance } from 'fastify';

export interface ComponentIo {
  /** The embedded server holds the database: go through its admin socket. */
  remote: boolean;
  call(method: string, path: string, body?: unknown): Promise<Record<string, unknown>>;
  withStore<T>(fn: (store: Store) => Promise<T>): Promise<T>;
  log: Logger;
}

type Listed = { domain: string; createdAt: string };

/** A component's domain: a bare domain that is not one this server serves itself. */
function componentDomain(config: ParleyConfig, arg: string | undefined): string {
  if (!arg) throw new UserError('give the component domain, e.g. gateway.' + config.domain);
  const jid = tryParseJid(arg);
  if (jid && (jid.domain === config.domain || jid.domain === chatroomDomain(config))) throw new UserError(`${jid.domain} is served by this server itself`);
  if (!jid || jid.local !== null || jid.resource !== null || !jid.domain.includes('.')) throw new UserError(`${arg} is not a domain name (a component is named like gateway.${config.domain})`);
  return jid.domain;
}

async function add(store: Store, config: ParleyConfig, log: Logger, domain: string, secret: string): Promise<{ domain: string }> {
  if (secret.length < 16) throw new UserError('the secret must be at least 16 characters');
  if (!(await componentRepo(store.sql).add(domain, serverKeys(config).seal(domain, secret)))) throw new UserError(`component ${domain} is registered already (parley component del ${domain} first)`);
  await auditLog(store.sql, log).record({ actor: 'cli', action: 'component.add', target: domain, detail: {} });
  return { domain };
}

async function del(store: Store, log: Logger, domain: string): Promise<{ domain: string }> {
  if (!(await componentRepo(store.sql).del(domain))) throw new UserError(`no component ${domain} is registered`);
  await auditLog(store.sql, log).record({ actor: 'cli', action: 'component.del', target: domain, detail: {} });
  return { domain };
}

async function list(store: Store): Promise<Listed[]> {
  return (await componentRepo(store.sql).list()).map((c) => ({ domain: c.domain, createdAt: c.createdAt.toISOString() }));
}

/** The admin socket's routes for these commands (services/cli/src/admin-socket.ts). */
export function componentRoutes(app: FastifyInstance, store: Store, config: ParleyConfig, log: Logger): void {
  app.post<{ Body: { domain?: string; secret?: string } }>('/components', async (req) => add(store, config, log, componentDomain(config, req.body?.domain), req.body?.secret ?? ''));
  app.get('/components', async () => ({ components: await list(store) }));
  app.delete<{ Params: { domain: string } }>('/components/:domain', async (req) => del(store, log, componentDomain(config, req.params.domain)));
}

/** Runs `parley component add|list|del`; writes its lines with `out`. */
export async function componentCommand(config: ParleyConfig, sub: string | undefined, arg: string | undefined, values: { secret?: string }, io: ComponentIo, out: (line: string) => void): Promise<number> {
  switch (sub) {
    case 'add': {
      const domain = componentDomain(config, arg);
      const generated = values.secret === undefined;
      const secret = values.secret ?? randomBytes(24).toString('base64url');
      if (io.remote) await io.call('POST', '/components', { domain, secret });
      else await io.withStore((s) => add(s, config, io.log, domain, secret));
      out(`registered component ${domain}; it connects to port ${config.componentPort}${config.componentTls ? ' with TLS' : ' from this host'}`);
      if (generated) out(`secret (shown only now): ${secret}`);
      return 0;
    }
    case 'list': {
      const rows = io.remote ? ((await io.call('GET', '/components')).components as Listed[]) : await io.withStore((s) => list(s));
      if (rows.length === 0) out('no components are registered');
      for (const c of rows) out(`${c.domain}  registered ${c.createdAt}`);
      return 0;
    }
    case 'del': {
      const domain = componentDomain(config, arg);
      if (io.remote) await io.call('DELETE', `/components/${encodeURIComponent(domain)}`);
      else await io.withStore((s) => del(s, io.log, domain));
      out(`removed component ${domain}; a connected one is disconnected within seconds`);
      return 0;
    }
    default:
      throw new UserError('use "parley component add <domain> [--secret S]", "parley component list" or "parley component del <domain>"');
  }
}
