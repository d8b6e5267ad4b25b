// PARLEY_REQUIRE_INTERNAL_TLS (REQUIREMENTS.md, Scalability: "every internal link is authenticated
// and encrypted too"): a cluster process refuses to start when its link to NATS, Redis or Postgres
// would be plaintext or unauthenticated, with one line naming the link and what to change.
import type { ParleyConfig } from '@parley/config';
import { postgresHosts } from '@parley/store';

/** Why the internal links are not all encrypted and authenticated, or null when they are. */
export function insecureInternalLink(config: ParleyConfig): string | null {
  return natsProblem(config) ?? redisProblem(config) ?? databaseProblem(config);
}

function natsProblem(c: ParleyConfig): string | null {
  if (!c.natsUrl) return null;
  for (const raw of c.natsUrl.split(',').map((s) => s.trim())) {
    const u = parse(raw);
    if (!u) return `the NATS link (PARLEY_NATS_URL) is not a URL: ${redact(raw)}`;
    // The bus requires TLS when a CA or a client certificate is given (libs/bus nats.ts).
    const tls = u.protocol === 'tls:' || c.natsCaFile !== null || c.natsCertFile !== null;
    if (!tls) return `the NATS link (PARLEY_NATS_URL ${redact(raw)}) is plaintext: use tls:// or set PARLEY_NATS_CA_FILE`;
    // A user and password or a token in the URL, or a client certificate (mutual TLS).
    if (u.username === '' && c.natsCertFile === null) {
      return `the NATS link (PARLEY_NATS_URL ${redact(raw)}) is unauthenticated: put a user and password in the URL or set PARLEY_NATS_CERT_FILE`;
    }
  }
  return null;
}

function redisProblem(c: ParleyConfig): string | null {
  if (!c.redisUrl) return null;
  const u = parse(c.redisUrl);
  if (u?.protocol !== 'rediss:') return `the Redis link (PARLEY_REDIS_URL ${redact(c.redisUrl)}) is plaintext: use rediss://`;
  // AUTH with the default user needs a password; an ACL user (Redis 6+) needs both.
  if (u.password === '') return `the Redis link (PARLEY_REDIS_URL ${redact(c.redisUrl)}) is unauthenticated: put an ACL user and password in the URL (rediss://user:password@host:port)`;
  return null;
}

const TLS_SSLMODES = new Set(['require', 'verify-ca', 'verify-full']);

function databaseProblem(c: ParleyConfig): string | null {
  if (!c.databaseUrl) return null;
  // Several hosts (libpq syntax) share the user, password and parameters: the first one's URL tells.
  const u = parse(postgresHosts(c.databaseUrl).urls[0]!);
  if (!u) return 'the Postgres link (PARLEY_DATABASE_URL) is not a URL';
  const mode = u.searchParams.get('sslmode');
  // With a CA file the process passes it as the TLS options (cluster.ts), unless the URL turns TLS off.
  const tls = mode === null ? c.databaseCaFile !== null : TLS_SSLMODES.has(mode);
  if (!tls) return `the Postgres link (PARLEY_DATABASE_URL ${redact(c.databaseUrl)}) is plaintext: add sslmode=verify-full (or require) and PARLEY_DATABASE_CA_FILE`;
  // SCRAM (RFC 5802) or any password method needs the password; without one the server trusts the network.
  if (u.password === '') return `the Postgres link (PARLEY_DATABASE_URL ${redact(c.databaseUrl)}) is unauthenticated: put a user and password in the URL (the server should ask for scram-sha-256)`;
  return null;
}

function parse(url: string): URL | null {
  try {
    return new URL(url);
  } catch {
    return null;
  }
}

/** The URL without its credentials: the refusal line goes to logs. */
function redact(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@');
}
