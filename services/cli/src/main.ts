// The `parley` command line. main.ts only parses arguments and starts things (STYLE.md §9).
import { parseArgs } from 'node:util';
import { ConfigError, clusterMode, loadConfig, type ParleyConfig, settingsHelp } from '@parley/config';
import { createLogger } from '@parley/log';
import type { Store } from '@parley/store';
import { ClusterConfigError, parseRoles, startClusterProcess } from './cluster.ts';
import { limitPrefix } from './limit-prefix.ts';
import { callAdminSocket } from './admin-socket.ts';
import { openStore, startEmbedded } from './embedded.ts';
import { acquireDataDirLock, DataDirBusyError, lockHolder } from './lock.ts';
import { migrationsDir, serverVersion } from './paths.ts';
import { type InvitationView, type IssuedInvitation, listUsers, parseTtl, UserError, usernameOf } from '@parley/admin';
import { unlockAccount } from '@parley/edge';
import { RedisFailureLedger } from '@parley/ratelimit';
import { type AuditedCommands, auditedCommands } from './audited.ts';
import { signInCommand } from './signins.ts';
import { certCommand } from './certs.ts';
import { type RoomOps, socketRoomOps, storeRoomOps, withClusterBus, withClusterRoomActors } from './rooms.ts';

const USAGE = `Usage: parley <command> [options]

Commands:
  start [--role R]                   run the server: embedded mode (every service in one process) unless
                                     PARLEY_NATS_URL is set; then R is edge, session, presence, chatroom, s2s,
                                     a comma list, or all (cluster mode over NATS, Redis and Postgres)
  migrate                            apply database migrations
  user add <jid> [--password P]      create an account (password from --password or stdin)
  user del <jid>                     delete an account and its roster, offline messages, history
  user passwd <jid> [--password P]   change a password
  user list                          list accounts
  user tokens list <jid>             list the account's FAST sign-in tokens (XEP-0484) per client
  user tokens revoke <jid> [--client ID]
                                     revoke them (all, or one client's user-agent id)
  room create <room> [--owner JID] [key=value …]
                                     create a chatroom (persistent, ready at once); settings: name,
                                     description, public, persistent, membersOnly, moderated, password,
                                     maxUsers, whois (moderators|anyone), allowInvites, changeSubject, allowPm,
                                     archive (XEP-0313 room archive; default: on when persistent)
  room list                          list chatrooms with their occupants
  room config <room> [key=value …]   show or change a chatroom's settings
  room destroy <room> [--reason R]   remove a chatroom with its history and archive; its occupants are
                                     told (with the reason) when the server runs
  user unlock <jid>                  lift a temporary lock after failed logins and forget the failures
  cert ca init [--force]             create the client CA of certificate accounts (docs/certificates.md); --force
                                     replaces it, which ends every certificate it issued
  cert issue <jid> [--days N] [--name N] [--out DIR]
                                     a key and certificate naming <jid> (XmppAddr) for SASL EXTERNAL, written
                                     to DIR/<jid>.key and .crt (default: the current directory)
  cert list <jid>                    the account's certificates: fingerprint, state, source, expiry, name
  cert revoke <jid> <name|fingerprint>
                                     refuse the certificate from now on and close the sessions signed in with it
  user history <jid> [--limit N]     the account's sign-ins, most recent first (time, address, client,
                                     resource, mechanism, result)
  user signins <jid> [--multi-login allow|alert|refuse|replace|default] [--idle-timeout SEC|default]
                                     show or set the account's sign-in policies
  admin token create --role R [--name N]
                                     create a token for the admin API and console (R: read-only, operator
                                     or admin); the token is printed once
  admin token list                   list admin tokens (never their secrets)
  admin token revoke <id>            revoke an admin token at once
  invite create <jid> [--ttl 7d]     an invitation to become <jid>'s contact (XEP-0379): prints the
                                     xmpp: URI with its single-use token, shown only now
  invite create --account [<jid>] [--ttl 7d]
                                     an account invitation (in-band registration with PARLEY_REGISTRATION,
                                     XEP-0445); with <jid>, the new account becomes <jid>'s mutual contact
  invite list [<jid>]                invitations and their state (open, used, revoked, expired)
  invite revoke <id>                 revoke an open invitation
  user bulk --count N [--start 1] [--user-pattern user%d] [--password-pattern pass%d]
                                     create numbered accounts (load tests)
  version                            print the version

Settings: PARLEY_* environment variables, or their YAML keys in a file named by PARLEY_CONFIG (the
environment wins). A wrong value is reported on one line naming the setting, with exit code 2.
${settingsHelp()}
`;

class UsageError extends Error {}

async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      password: { type: 'string' },
      role: { type: 'string' },
      count: { type: 'string' },
      start: { type: 'string' },
      'user-pattern': { type: 'string' },
      'password-pattern': { type: 'string' },
      name: { type: 'string' },
      ttl: { type: 'string' },
      client: { type: 'string' },
      owner: { type: 'string' },
      reason: { type: 'string' },
      limit: { type: 'string' },
      'multi-login': { type: 'string' },
      'idle-timeout': { type: 'string' },
      account: { type: 'boolean' },
      days: { type: 'string' },
      out: { type: 'string' },
      force: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [cmd, sub, arg, arg2] = positionals;
  if (values.help || cmd === undefined || cmd === 'help') {
    process.stdout.write(USAGE);
    return cmd === undefined && !values.help ? 2 : 0;
  }
  if (cmd === 'version') {
    process.stdout.write(`parley ${serverVersion}\n`);
    return 0;
  }
  const config = loadConfig();
  switch (cmd) {
    case 'start':
      return start(config, values.role ?? 'all');
    case 'migrate': {
      if (!config.databaseUrl) {
        const holder = lockHolder(config.dataDir);
        if (holder !== null) throw new UsageError(`the server (pid ${holder}) is running on ${config.dataDir}; it applied migrations when it started`);
      }
      const lock = config.databaseUrl ? null : acquireDataDirLock(config.dataDir);
      try {
        const store = await openStore(config);
        await store.close();
        process.stdout.write(`migrations in ${migrationsDir} are applied\n`);
      } finally {
        lock?.release();
      }
      return 0;
    }
    case 'user':
      if (sub === 'tokens') return fastTokens(config, arg, arg2, values);
      if (sub === 'history' || sub === 'signins') return signInCommand(config, sub, arg, values, { remote: serverHoldsDatabase(config), call: (m, p, b) => callAdminSocket(config.dataDir, m, p, b), withStore: (fn) => withCommands(config, (_c, s) => fn(s)), log: createLogger({ level: 'warn' }) }, (l) => process.stdout.write(`${l}\n`));
      return user(config, sub, arg, values);
    case 'invite':
      return invite(config, sub, arg, values);
    case 'cert':
      return certCommand(config, [sub, arg, arg2], values, {
        remote: serverHoldsDatabase(config),
        call: (m, p, b) => callAdminSocket(config.dataDir, m, p, b),
        withStore: (fn) => withCommands(config, (_c, s) => fn(s)),
        withBus: (fn) => withClusterBus(config, fn),
        log: createLogger({ level: 'warn' }),
      }, (l) => process.stdout.write(`${l}\n`));
    case 'room':
      return room(config, sub, arg, positionals.slice(3), values);
    case 'admin':
      if (sub !== 'token') throw new UsageError('use "parley admin token create|list|revoke"');
      return adminToken(config, arg, arg2, values);
    default:
      throw new UsageError(`unknown command "${cmd}"; run "parley --help"`);
  }
}

async function start(config: ParleyConfig, role: string): Promise<number> {
  let server: { stop(): Promise<void> };
  if (clusterMode(config)) {
    const log = createLogger({ level: config.logLevel });
    server = await startClusterProcess(config, parseRoles(role), log);
  } else {
    if (role !== 'all') throw new UsageError(`--role ${role} needs cluster mode: set PARLEY_NATS_URL, PARLEY_REDIS_URL and PARLEY_DATABASE_URL`);
    server = await startEmbedded(config);
  }
  await new Promise<void>((resolve) => {
    const stop = (sig: string) => {
      process.stderr.write(`\n${sig} received, shutting down\n`);
      server.stop().then(resolve, (err) => {
        process.stderr.write(`error while stopping: ${(err as Error).message}\n`);
        resolve();
      });
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  return 0;
}

/** While the embedded server runs it owns the database; the CLI then talks to its admin socket. */
function serverHoldsDatabase(config: ParleyConfig): boolean {
  return !config.databaseUrl && lockHolder(config.dataDir) !== null;
}

async function withCommands<T>(config: ParleyConfig, fn: (cmd: AuditedCommands, store: Store) => Promise<T>): Promise<T> {
  const lock = config.databaseUrl ? null : acquireDataDirLock(config.dataDir);
  try {
    const store = await openStore(config);
    try {
      return await fn(auditedCommands(store, config, createLogger({ level: 'warn' })), store);
    } finally {
      await store.close();
    }
  } finally {
    lock?.release();
  }
}

async function adminToken(config: ParleyConfig, sub: string | undefined, arg: string | undefined, values: Values): Promise<number> {
  const remote = serverHoldsDatabase(config);
  switch (sub) {
    case 'create': {
      if (!values.role) throw new UsageError('parley admin token create needs --role read-only|operator|admin');
      const name = values.name ?? `${values.role} token`;
      const t = remote
        ? ((await callAdminSocket(config.dataDir, 'POST', '/admin-tokens', { role: values.role, name })) as { token: string; id: string })
        : await withCommands(config, (c) => c.createToken(values.role!, name));
      process.stderr.write(`created admin token ${t.id} (${values.role}); it is shown only now:\n`);
      process.stdout.write(`${t.token}\n`);
      return 0;
    }
    case 'list': {
      type Row = { id: string; name: string; role: string; createdAt: string; revokedAt: string | null };
      const rows = remote ? ((await callAdminSocket(config.dataDir, 'GET', '/admin-tokens')).tokens as Row[]) : await withCommands(config, (c) => c.listTokens());
      for (const t of rows) process.stdout.write(`${t.id}  ${t.role.padEnd(9)}  ${t.revokedAt ? `revoked ${t.revokedAt}` : 'active'}  ${t.name}\n`);
      return 0;
    }
    case 'revoke': {
      if (!arg) throw new UsageError('parley admin token revoke needs a token id (see parley admin token list)');
      if (remote) await callAdminSocket(config.dataDir, 'DELETE', `/admin-tokens/${encodeURIComponent(arg)}`);
      else await withCommands(config, (c) => c.revokeToken(arg));
      process.stdout.write(`revoked ${arg}\n`);
      return 0;
    }
    default:
      throw new UsageError(`unknown admin token command "${sub ?? ''}"; use create, list or revoke`);
  }
}

async function invite(config: ParleyConfig, sub: string | undefined, arg: string | undefined, values: Values): Promise<number> {
  const remote = serverHoldsDatabase(config);
  switch (sub) {
    case 'create': {
      const account = values.account === true;
      if (!arg && !account) throw new UsageError('parley invite create needs the inviter, e.g. alice@' + config.domain + ', or --account');
      const ttlMs = parseTtl(values.ttl ?? '7d');
      const inv = remote
        ? ((await callAdminSocket(config.dataDir, 'POST', '/invitations', { inviter: arg, ttlMs, account })) as unknown as IssuedInvitation)
        : await withCommands(config, (c) => c.createInvitation(arg, ttlMs, account));
      process.stderr.write(`invitation ${inv.id}, valid until ${inv.expiresAt}, single use; the URI is shown only now:\n`);
      process.stdout.write(`${inv.uri}\n`);
      return 0;
    }
    case 'list': {
      const rows = remote
        ? ((await callAdminSocket(config.dataDir, 'GET', `/invitations${arg ? `?inviter=${encodeURIComponent(arg)}` : ''}`)).invitations as InvitationView[])
        : await withCommands(config, (c) => c.listInvitations(arg));
      for (const i of rows) process.stdout.write(`${i.id}  ${i.state.padEnd(7)}  ${i.inviter ?? '-'}  until ${i.expiresAt}${i.usedBy ? `  used by ${i.usedBy}` : ''}\n`);
      return 0;
    }
    case 'revoke': {
      if (!arg) throw new UsageError('parley invite revoke needs an invitation id (see parley invite list)');
      if (remote) await callAdminSocket(config.dataDir, 'DELETE', `/invitations/${encodeURIComponent(arg)}`);
      else await withCommands(config, (c) => c.revokeInvitation(arg));
      process.stdout.write(`revoked ${arg}\n`);
      return 0;
    }
    default:
      throw new UsageError(`unknown invite command "${sub ?? ''}"; use create, list or revoke`);
  }
}

/** XEP-0484 FAST tokens of an account (through the running server's admin socket when it holds the database). */
async function fastTokens(config: ParleyConfig, sub: string | undefined, jid: string | undefined, values: Values): Promise<number> {
  if (!jid || (sub !== 'list' && sub !== 'revoke')) throw new UsageError('use "parley user tokens list <jid>" or "parley user tokens revoke <jid> [--client ID]"');
  const remote = serverHoldsDatabase(config);
  const path = `/users/${encodeURIComponent(jid)}/fast-tokens`;
  if (sub === 'list') {
    type Row = { client: string; userAgent: string | null; mechanism: string; slot: string; expiresAt: string };
    const r = remote ? ((await callAdminSocket(config.dataDir, 'GET', path)) as { tokens: Row[] }) : await withCommands(config, (c) => c.listFastTokens(jid));
    for (const t of r.tokens) process.stdout.write(`${t.client}  ${t.mechanism}  ${t.slot.padEnd(7)}  expires ${t.expiresAt}  ${t.userAgent ?? ''}\n`);
    return 0;
  }
  const r = remote
    ? ((await callAdminSocket(config.dataDir, 'DELETE', values.client ? `${path}?client=${encodeURIComponent(values.client)}` : path)) as { jid: string; revoked: number })
    : await withCommands(config, (c) => c.revokeFastTokens(jid, values.client));
  process.stdout.write(`revoked ${r.revoked} FAST token(s) of ${r.jid}\n`);
  return 0;
}

type Values = { account?: boolean; ttl?: string; client?: string; role?: string; name?: string; password?: string; count?: string; start?: string; 'user-pattern'?: string; 'password-pattern'?: string };

async function user(config: ParleyConfig, sub: string | undefined, arg: string | undefined, values: Values): Promise<number> {
  const need = (what: string) => {
    if (!arg) throw new UsageError(`parley user ${sub} needs ${what}`);
    return arg;
  };
  const remote = serverHoldsDatabase(config);
  switch (sub) {
    case 'add': {
      const jid = need('a JID, e.g. alice@' + config.domain);
      const password = values.password ?? (await readPassword());
      const created = remote
        ? String((await callAdminSocket(config.dataDir, 'POST', '/users', { user: jid, password })).jid)
        : await withCommands(config, (c) => c.addUser(jid, password));
      process.stdout.write(`created ${created}\n`);
      return 0;
    }
    case 'del': {
      const jid = need('a JID');
      const deleted = remote
        ? String((await callAdminSocket(config.dataDir, 'DELETE', `/users/${encodeURIComponent(jid)}`)).jid)
        : await withCommands(config, (c) => c.deleteUser(jid));
      process.stdout.write(`deleted ${deleted}\n`);
      return 0;
    }
    case 'passwd': {
      const jid = need('a JID');
      const password = values.password ?? (await readPassword());
      const changed = remote
        ? String((await callAdminSocket(config.dataDir, 'PUT', `/users/${encodeURIComponent(jid)}/password`, { password })).jid)
        : await withCommands(config, (c) => c.setPassword(jid, password));
      process.stdout.write(`password changed for ${changed}\n`);
      return 0;
    }
    case 'list': {
      const users = remote ? ((await callAdminSocket(config.dataDir, 'GET', '/users')).users as string[]) : await withCommands(config, (_c, s) => listUsers(s, config));
      for (const u of users) process.stdout.write(`${u}\n`);
      return 0;
    }
    case 'bulk': {
      const count = Number(values.count);
      if (!Number.isInteger(count) || count <= 0) throw new UsageError('--count must be a positive integer');
      const startAt = values.start === undefined ? 1 : Number(values.start);
      if (!Number.isInteger(startAt) || startAt < 0) throw new UsageError('--start must be a non-negative integer');
      const opts = { count, start: startAt, userPattern: values['user-pattern'] ?? 'user%d', passwordPattern: values['password-pattern'] ?? 'pass%d' };
      const r = remote
        ? ((await callAdminSocket(config.dataDir, 'POST', '/users/bulk', opts)) as { created: number; existing: number })
        : await withCommands(config, (c) => c.bulkAdd(opts));
      process.stdout.write(`created ${r.created} accounts (${r.existing} already existed)\n`);
      return 0;
    }
    case 'unlock': {
      const jid = need('a JID');
      const unlocked = remote ? String((await callAdminSocket(config.dataDir, 'POST', `/users/${encodeURIComponent(jid)}/unlock`)).jid) : await unlockInCluster(config, jid);
      process.stdout.write(`unlocked ${unlocked}\n`);
      return 0;
    }
    default:
      throw new UsageError(`unknown user command "${sub ?? ''}"; use add, del, passwd, list, unlock or bulk`);
  }
}

async function room(config: ParleyConfig, sub: string | undefined, arg: string | undefined, settings: string[], values: Values & { owner?: string; reason?: string }): Promise<number> {
  // The embedded server owns its PGlite database while it runs: then its admin socket does the work.
  const remote = serverHoldsDatabase(config) ? socketRoomOps((method, path, body) => callAdminSocket(config.dataDir, method, path, body)) : null;
  // Cluster mode: config and destroy reach the room actors over NATS (when a chatroom process runs).
  const actorsNeeded = !remote && config.natsUrl && (sub === 'config' || sub === 'destroy');
  const run = <T>(fn: (ops: RoomOps) => Promise<T>): Promise<T> =>
    remote ? fn(remote) : withCommands(config, (_c, s) => (actorsNeeded ? withClusterRoomActors(config, (actors) => fn(storeRoomOps(s, config, actors))) : fn(storeRoomOps(s, config))));
  const need = () => {
    if (!arg) throw new UsageError(`parley room ${sub} needs a room name`);
    return arg;
  };
  switch (sub) {
    case 'create': {
      const jid = await run((ops) => ops.create(need(), values.owner, settings));
      process.stdout.write(`created ${jid}\n`);
      return 0;
    }
    case 'list': {
      for (const line of await run((ops) => ops.list())) process.stdout.write(`${line}\n`);
      return 0;
    }
    case 'config': {
      const c = await run((ops) => ops.config(need(), settings));
      const { salt: _salt, ...shown } = c;
      process.stdout.write(`${JSON.stringify(shown, null, 2)}\n`);
      return 0;
    }
    case 'destroy': {
      const jid = await run((ops) => ops.destroy(need(), values.reason));
      process.stdout.write(`destroyed ${jid}\n`);
      return 0;
    }
    default:
      throw new UsageError(`unknown room command "${sub ?? ''}"; use create, list, config or destroy`);
  }
}

/** Cluster mode keeps login failures in Redis: lift the lock there. Embedded mode keeps them in the running server. */
async function unlockInCluster(config: ParleyConfig, jid: string): Promise<string> {
  const user = usernameOf(jid, config.domain);
  if (!config.redisUrl) throw new UserError('the server is not running: failed logins are kept only while it runs, so nothing is locked');
  const ledger = await RedisFailureLedger.connect(config.redisUrl, { prefix: limitPrefix(config) });
  try {
    await unlockAccount(ledger, user);
  } finally {
    await ledger.close();
  }
  return `${user}@${config.domain}`;
}

async function readPassword(): Promise<string> {
  if (process.stdin.isTTY) process.stderr.write('Password (then Enter; input is echoed, prefer --password or a pipe): ');
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) {
    chunks.push(c as Buffer);
    if (process.stdin.isTTY && Buffer.concat(chunks).includes(10)) break;
  }
  const text = Buffer.concat(chunks).toString('utf8');
  const line = text.split(/\r?\n/)[0] ?? '';
  if (line === '') throw new UserError('no password given (use --password or pipe it on stdin)');
  return line;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    if (err instanceof ConfigError || err instanceof UsageError || err instanceof ClusterConfigError) {
      process.stderr.write(`parley: ${err.message}\n`);
      process.exit(2);
    }
    if (err instanceof UserError || err instanceof DataDirBusyError) {
      process.stderr.write(`parley: ${err.message}\n`);
      process.exit(1);
    }
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      const e = err as NodeJS.ErrnoException & { port?: number };
      process.stderr.write(`parley: port ${e.port ?? ''} is already in use (set PARLEY_C2S_PORT, PARLEY_C2S_TLS_PORT or PARLEY_HTTP_PORT)\n`);
      process.exit(2);
    }
    process.stderr.write(`parley: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
