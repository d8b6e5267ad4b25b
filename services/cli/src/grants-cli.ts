// `parley invite create|list|revoke` (XEP-0379/0401 invitations) and `parley admin token
// create|list|revoke` (admin API tokens): grants, shown once at creation and revocable.
import { type InvitationView, type IssuedInvitation, parseTtl } from '@parley/admin';
import type { ParleyConfig } from '@parley/config';
import { callAdminSocket } from './admin-socket.ts';
import { serverHoldsDatabase, UsageError, type Values, withCommands } from './cli-context.ts';

export async function invite(config: ParleyConfig, sub: string | undefined, arg: string | undefined, values: Values): Promise<number> {
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

export async function adminToken(config: ParleyConfig, sub: string | undefined, arg: string | undefined, values: Values): Promise<number> {
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
