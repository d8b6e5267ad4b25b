// Account management shared by the admin API, the CLI and the local admin socket.
import type { ParleyConfig } from '@parley/config';
import { JidError, parseJid, prepareLocalpart } from '@parley/jid';
import { deriveAllCredentials } from '@parley/sasl';
import type { Store } from '@parley/store';

/** The settings account management needs. */
export type AccountConfig = Pick<ParleyConfig, 'domain' | 'scramIterations'>;

export class UserError extends Error {}

/** Accepts "alice" or "alice@domain" (the domain must be the server's). */
export function usernameOf(input: string, domain: string): string {
  try {
    if (input.includes('@')) {
      const jid = parseJid(input);
      if (jid.domain !== domain) throw new UserError(`${input} is not on this server's domain ${domain}`);
      if (jid.resource || !jid.local) throw new UserError(`${input} must be a bare JID like alice@${domain}`);
      return jid.local;
    }
    return prepareLocalpart(input);
  } catch (err) {
    if (err instanceof UserError) throw err;
    if (err instanceof JidError) throw new UserError(`"${input}" is not a valid username: ${err.message}`);
    throw err;
  }
}

export function checkPassword(password: string): void {
  if (password.length === 0) throw new UserError('the password must not be empty');
  if (password.length > 1024) throw new UserError('the password is too long (1024 characters at most)');
}

export async function addUser(store: Pick<Store, 'users'>, config: AccountConfig, user: string, password: string): Promise<string> {
  const username = usernameOf(user, config.domain);
  checkPassword(password);
  // Only SCRAM salted keys are stored (RFC 5802 §3), never the password.
  await refuseLookalike(store, config, username);
  const creds = await deriveAllCredentials(password, config.scramIterations);
  if (!(await store.users.create(username, config.domain, creds))) {
    // Created meanwhile: the same name, or a look-alike (the store refuses both atomically).
    await refuseLookalike(store, config, username);
    throw new UserError(`${username}@${config.domain} already exists`);
  }
  return `${username}@${config.domain}`;
}

/** Impostor protection (UTS #39 §4): a name whose skeleton equals an existing account's is refused. */
async function refuseLookalike(store: Pick<Store, 'users'>, config: AccountConfig, username: string): Promise<void> {
  const existing = await store.users.lookalikeOf(username, config.domain);
  if (existing !== null) {
    throw new UserError(`${username}@${config.domain} looks like the existing account ${existing}@${config.domain} (Unicode confusables, UTS #39); choose another name`);
  }
}

export async function deleteUser(store: Pick<Store, 'users'>, config: AccountConfig, user: string): Promise<string> {
  const username = usernameOf(user, config.domain);
  if (!(await store.users.delete(username, config.domain))) throw new UserError(`${username}@${config.domain} does not exist`);
  return `${username}@${config.domain}`;
}

export async function setPassword(store: Pick<Store, 'users'>, config: AccountConfig, user: string, password: string): Promise<string> {
  const username = usernameOf(user, config.domain);
  checkPassword(password);
  const creds = await deriveAllCredentials(password, config.scramIterations);
  if (!(await store.users.setCredentials(username, config.domain, creds))) throw new UserError(`${username}@${config.domain} does not exist`);
  return `${username}@${config.domain}`;
}

export async function listUsers(store: Pick<Store, 'users'>, config: AccountConfig): Promise<string[]> {
  const out: string[] = [];
  let after: string | undefined;
  for (;;) {
    const page = await store.users.list(config.domain, { limit: 1000, after });
    out.push(...page.map((u) => `${u}@${config.domain}`));
    if (page.length < 1000) return out;
    after = page[page.length - 1];
  }
}

/** Provision load-test accounts: pattern "user%d" with numbers start..start+count-1. */
export async function bulkAdd(
  store: Pick<Store, 'users'>,
  config: AccountConfig,
  opts: { count: number; start: number; userPattern: string; passwordPattern: string },
  progress?: (done: number) => void,
): Promise<{ created: number; existing: number }> {
  if (!opts.userPattern.includes('%d')) throw new UserError('--user-pattern must contain %d');
  let created = 0;
  let existing = 0;
  const jobs: Promise<void>[] = [];
  const one = async (i: number) => {
    const username = usernameOf(opts.userPattern.replaceAll('%d', String(i)), config.domain);
    const creds = await deriveAllCredentials(opts.passwordPattern.replaceAll('%d', String(i)), config.scramIterations);
    if (await store.users.create(username, config.domain, creds)) created++;
    else existing++;
    progress?.(created + existing);
  };
  // PBKDF2 runs on libuv's thread pool: a few in flight keep every core busy.
  for (let i = opts.start; i < opts.start + opts.count; i++) {
    jobs.push(one(i));
    if (jobs.length >= 8) await Promise.all(jobs.splice(0));
  }
  await Promise.all(jobs);
  return { created, existing };
}
