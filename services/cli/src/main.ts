// The `parley` command line. main.ts only parses arguments and starts things (STYLE.md §9).
import { parseArgs } from 'node:util';
import { ConfigError, clusterMode, loadConfig, type ParleyConfig, settingsHelp } from '@parley/config';
import { createLogger } from '@parley/log';
import { UserError } from '@parley/admin';
import { fastTokens, user } from './accounts-cli.ts';
import { callAdminSocket } from './admin-socket.ts';
import { serverHoldsDatabase, UsageError, withCommands } from './cli-context.ts';
import { ClusterConfigError, parseRoles, startClusterProcess } from './cluster.ts';
import { openStore, startEmbedded } from './embedded.ts';
import { adminToken, invite } from './grants-cli.ts';
import { acquireDataDirLock, DataDirBusyError, lockHolder } from './lock.ts';
import { migrationsDir, serverVersion } from './paths.ts';
import { room } from './rooms-cli.ts';
import { signInCommand } from './signins.ts';
import { componentCommand } from './components.ts';
import { certCommand } from './certs.ts';
import { withClusterBus } from './rooms.ts';
import type { Bus } from '@parley/bus';
import type { Store } from '@parley/store';
import type { WireMessage } from '@parley/wire';

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
                                     presenceBroadcast (roles whose presence is broadcast, e.g. moderator),
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
  component add <domain> [--secret S]
                                     let an external component (XEP-0114) connect as <domain>; without
                                     --secret one is generated and shown once
  component list                     registered components
  component del <domain>             remove one (a connected one is disconnected)
  user bulk --count N [--start 1] [--user-pattern user%d] [--password-pattern pass%d]
                                     create numbered accounts (load tests)
  version                            print the version

Settings: PARLEY_* environment variables, or their YAML keys in a file named by PARLEY_CONFIG (the
environment wins). A wrong value is reported on one line naming the setting, with exit code 2.
${settingsHelp()}
`;

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
      secret: { type: 'string' },
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
  // What the sign-in, component and certificate commands work through.
  const io = () => ({
    remote: serverHoldsDatabase(config),
    call: (m: string, p: string, b?: unknown) => callAdminSocket(config.dataDir, m, p, b),
    withStore: <T>(fn: (store: Store) => Promise<T>) => withCommands(config, (_c, s) => fn(s)),
    withBus: <T>(fn: (bus: Bus<WireMessage> | null) => Promise<T>) => withClusterBus(config, fn),
    log: createLogger({ level: 'warn' }),
  });
  const print = (line: string) => process.stdout.write(`${line}\n`);
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
      if (sub === 'history' || sub === 'signins') return signInCommand(config, sub, arg, values, io(), print);
      return user(config, sub, arg, values);
    case 'component':
      return componentCommand(config, sub, arg, values, io(), print);
    case 'invite':
      return invite(config, sub, arg, values);
    case 'cert':
      return certCommand(config, [sub, arg, arg2], values, io(), print);
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
