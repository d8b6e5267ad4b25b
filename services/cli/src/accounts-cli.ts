// `parley user add|del|passwd|list|bulk|unlock` and `parley user tokens list|revoke` (XEP-0484 FAST
// tokens): accounts, through the running embedded server's admin socket when it holds the database.
import { listUsers, UserError, usernameOf } from '@parley/admin';
import type { ParleyConfig } from '@parley/config';
import { unlockAccount } from '@parley/edge';
import { RedisFailureLedger } from '@parley/ratelimit';
import { callAdminSocket } from './admin-socket.ts';
import { serverHoldsDatabase, UsageError, type Values, withCommands } from './cli-context.ts';
import { limitPrefix } from './limit-prefix.ts';

export async function user(config: ParleyConfig, sub: string | undefined, arg: string | undefined, values: Values): Promise<number> {
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

/** XEP-0484 FAST tokens of an account (through the running server's admin socket when it holds the database). */
export async function fastTokens(config: ParleyConfig, sub: string | undefined, jid: string | undefined, values: Values): Promise<number> {
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
