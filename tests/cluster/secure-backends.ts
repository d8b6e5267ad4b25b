// Backends that accept only encrypted, authenticated links, for tests/cluster/internal-tls.test.ts:
// a test CA (openssl), nats-server with TLS and a user, redis-server with TLS only and an ACL user,
// and a private Postgres cluster (Debian's initdb/pg_ctl) with ssl=on, SCRAM passwords and no
// plaintext TCP at all. Everything lives in the PrivateBackends' temporary directory.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, type PrivateBackends, ServerProcess } from './backends.ts';

export interface TestCa {
  caFile: string;
  certFile: string;
  keyFile: string;
}

/** A CA and a server certificate for 127.0.0.1 and localhost, signed by it. */
export function makeTestCa(dir: string): TestCa {
  const f = (n: string) => join(dir, n);
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=Parley test CA', '-keyout', f('ca.key'), '-out', f('ca.pem'));
  ssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-keyout', f('server.key'), '-out', f('server.csr'));
  writeFileSync(f('san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  ssl('x509', '-req', '-in', f('server.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial', '-days', '2', '-extfile', f('san.ext'), '-out', f('server.pem'));
  return { caFile: f('ca.pem'), certFile: f('server.pem'), keyFile: f('server.key') };
}

/** nats-server with TLS and one user; the URL carries the credentials. */
export async function secureNats(b: PrivateBackends, ca: TestCa, user: string, password: string): Promise<{ url: string; server: ServerProcess }> {
  const port = await freePort();
  const conf = join(b.dir, 'nats.conf');
  writeFileSync(
    conf,
    `listen: "127.0.0.1:${port}"\ntls {\n  cert_file: "${ca.certFile}"\n  key_file: "${ca.keyFile}"\n  ca_file: "${ca.caFile}"\n}\n` +
      `authorization {\n  users = [{ user: "${user}", password: "${password}" }]\n}\n`,
  );
  const server = await b.nats(port, conf);
  return { url: `tls://${user}:${password}@127.0.0.1:${port}`, server };
}

/** redis-server listening with TLS only (`--port 0`), the default user off and one ACL user. */
export async function secureRedis(b: PrivateBackends, ca: TestCa, user: string, password: string): Promise<{ url: string; server: ServerProcess }> {
  const port = await freePort();
  const server = await b.redis([
    '--port', '0', '--tls-port', String(port),
    '--tls-cert-file', ca.certFile, '--tls-key-file', ca.keyFile, '--tls-ca-cert-file', ca.caFile, '--tls-auth-clients', 'no',
    '--user', 'default', 'off',
    '--user', user, 'on', `>${password}`, '~*', '&*', '+@all',
  ], port);
  return { url: `rediss://${user}:${password}@127.0.0.1:${port}`, server };
}

function postgresBin(): string {
  const versions = readdirSync('/usr/lib/postgresql').filter((v) => existsSync(`/usr/lib/postgresql/${v}/bin/initdb`));
  const v = versions.sort((a, b) => Number(b) - Number(a))[0];
  if (!v) throw new Error('no /usr/lib/postgresql/*/bin/initdb: install Debian’s postgresql (scripts/ensure-system-deps.sh)');
  return `/usr/lib/postgresql/${v}/bin`;
}

/**
 * A private Postgres cluster on a free port: ssl=on, password_encryption=scram-sha-256, and a
 * pg_hba that accepts TCP only as `hostssl … scram-sha-256`. initdb refuses to run as root, so the
 * cluster runs as the `postgres` system user when the test runs as root.
 */
export async function securePostgres(b: PrivateBackends, ca: TestCa, password: string): Promise<{ url: string; server: ServerProcess }> {
  const bin = postgresBin();
  const port = await freePort();
  const data = join(b.dir, 'pg');
  const asRoot = process.getuid?.() === 0;
  const id = (flag: string) => (asRoot ? Number(execFileSync('id', [flag, 'postgres']).toString().trim()) : undefined);
  const [pgUid, pgGid] = [id('-u'), id('-g')];
  const own = (path: string) => {
    if (pgUid !== undefined && pgGid !== undefined) chownSync(path, pgUid, pgGid);
  };
  own(b.dir);
  chmodSync(b.dir, 0o755);
  // The server reads its key as its own user, and only a key no one else may read.
  execFileSync('cp', [ca.keyFile, join(b.dir, 'pg-server.key')]);
  chmodSync(join(b.dir, 'pg-server.key'), 0o600);
  own(join(b.dir, 'pg-server.key'));
  writeFileSync(join(b.dir, 'pgpass'), `${password}\n`);
  own(join(b.dir, 'pgpass'));
  // setpriv execs (no fork): a kill of the process is a kill of postgres itself.
  const asPostgres = (cmd: string, args: string[]): [string, string[]] => (asRoot ? ['setpriv', ['--reuid=postgres', '--regid=postgres', '--init-groups', '--', cmd, ...args]] : [cmd, args]);
  const run = (cmd: string, args: string[]) => execFileSync(...asPostgres(cmd, args), { stdio: 'pipe', cwd: b.dir });
  run(`${bin}/initdb`, ['-D', data, '-U', 'postgres', `--pwfile=${join(b.dir, 'pgpass')}`, '--auth-local=trust', '--auth-host=scram-sha-256', '-E', 'UTF8', '--no-sync']);
  writeFileSync(join(data, 'pg_hba.conf'), 'local all all trust\nhostssl all all 127.0.0.1/32 scram-sha-256\n');
  writeFileSync(
    join(data, 'postgresql.auto.conf'),
    [
      `port = ${port}`,
      "listen_addresses = '127.0.0.1'",
      `unix_socket_directories = '${b.dir}'`,
      'ssl = on',
      `ssl_cert_file = '${ca.certFile}'`,
      `ssl_key_file = '${join(b.dir, 'pg-server.key')}'`,
      "password_encryption = 'scram-sha-256'",
      'fsync = off',
      'max_connections = 60',
      '',
    ].join('\n'),
  );
  own(join(data, 'pg_hba.conf'));
  own(join(data, 'postgresql.auto.conf'));
  const [cmd, args] = asPostgres(`${bin}/postgres`, ['-D', data]);
  const server = await b.add(new ServerProcess(`postgres on ${port}`, cmd, args, port, b.dir));
  // Listening is not accepting: wait until recovery at start-up is over.
  const end = Date.now() + 30_000;
  while (spawnSync(`${bin}/pg_isready`, ['-q', '-h', b.dir, '-p', String(port)]).status !== 0) {
    if (Date.now() > end) throw new Error(`private Postgres did not accept connections within 30 s:\n${server.logTail()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { url: `postgres://postgres:${password}@127.0.0.1:${port}/postgres?sslmode=verify-full`, server };
}
