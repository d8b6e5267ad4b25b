// Configuration from the environment and an optional YAML file (PARLEY_CONFIG). A wrong setting
// is reported as one line naming it; the CLI exits with code 2.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';

export interface ParleyConfig {
  domain: string;
  dataDir: string;
  bindAddress: string;
  c2sPort: number;
  c2sTlsPort: number;
  httpPort: number;
  tlsCert: string | null;
  tlsKey: string | null;
  /** RFC 6120 §5.3.1: TLS required before authentication (default). */
  requireTls: boolean;
  logLevel: 'debug' | 'info' | 'warn' | 'error' | 'silent';
  scramIterations: number;
  maxStanzaBytes: number;
  /** Seconds allowed for stream negotiation up to a bound resource. */
  negotiationTimeoutSec: number;
  /** Seconds of silence before an authenticated stream is closed (whitespace pings count). */
  idleTimeoutSec: number;
  /** Per-connection inbound byte rate (bytes/s, sustained) and burst. */
  rateBytesPerSec: number;
  rateBurstBytes: number;
  /** Offline messages kept per user (XEP-0160 quota). */
  offlineQuota: number;
  /** Postgres URL; unset means the embedded PGlite database in the data directory. */
  databaseUrl: string | null;
  /** WebSocket clients count as secure (a TLS-terminating proxy sits in front of port 5280). */
  websocketSecure: boolean;
  /** Cluster mode: NATS (credentials may be in the URL, nats://user:pass@host:4222; comma-separated list allowed). */
  natsUrl: string | null;
  natsCaFile: string | null;
  natsCertFile: string | null;
  natsKeyFile: string | null;
  /** Cluster mode: Redis (rediss:// for TLS; credentials in the URL). */
  redisUrl: string | null;
  redisCaFile: string | null;
  /** Postgres server CA for TLS (with sslmode=require or verify-full in the URL). */
  databaseCaFile: string | null;
  /** Port of /healthz, /readyz and /metrics in cluster mode (0 = a random free port). */
  opsPort: number;
  /** This process's edge id (unique in the cluster); default host name and pid. */
  edgeId: string | null;
  /** Seconds after which a silent edge counts as dead and its sessions are removed. */
  edgeTtlSec: number;
  /** Shard lease time-to-live, in milliseconds. */
  leaseTtlMs: number;
  /** Namespace for one cluster's NATS subjects and Redis keys (several clusters can share servers). */
  clusterName: string;
  /** Postgres schema holding this cluster's tables (created when missing); default the search_path's. */
  databaseSchema: string | null;
  /** host:port sent in a see-other-host stream error when this edge drains (RFC 6120 §4.9.3.19). */
  seeOtherHost: string | null;
  /** Admin REST API and web console (embedded mode, and the `admin` role); 0 = a random free port. */
  adminPort: number;
  /** Listen address of the admin API; null = bindAddress. */
  adminBindAddress: string | null;
  /** Serve the admin API over HTTPS with the server certificate; off only behind a TLS-terminating proxy. */
  adminTls: boolean;
}

export class ConfigError extends Error {
  constructor(
    readonly setting: string,
    message: string,
  ) {
    super(`${setting}: ${message}`);
  }
}

interface Field<K extends keyof ParleyConfig> {
  key: K;
  env: string;
  def: ParleyConfig[K];
  parse: (raw: string, env: string) => ParleyConfig[K];
}

const port = (raw: string, env: string): number => {
  const n = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || n > 65535) throw new ConfigError(env, `must be a port number 0-65535, got ${JSON.stringify(raw)}`);
  return n;
};
const int =
  (min: number, max: number) =>
  (raw: string, env: string): number => {
    const n = Number(raw);
    if (!/^\d+$/.test(raw.trim()) || n < min || n > max) throw new ConfigError(env, `must be an integer ${min}-${max}, got ${JSON.stringify(raw)}`);
    return n;
  };
const bool = (raw: string, env: string): boolean => {
  const v = raw.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(v)) return true;
  if (['0', 'false', 'no', 'off'].includes(v)) return false;
  throw new ConfigError(env, `must be true or false, got ${JSON.stringify(raw)}`);
};
const str = (raw: string, env: string): string => {
  if (raw.trim() === '') throw new ConfigError(env, 'must not be empty');
  return raw.trim();
};
const optPath = (raw: string): string | null => (raw.trim() === '' ? null : raw.trim());
const domain = (raw: string, env: string): string => {
  const d = raw.trim().toLowerCase();
  // RFC 7622 §3.2: a domainpart is a hostname or IP literal; keep the check simple and strict.
  if (!/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/.test(d)) {
    throw new ConfigError(env, `must be a DNS domain name such as example.com, got ${JSON.stringify(raw)}`);
  }
  return d;
};
const level = (raw: string, env: string): ParleyConfig['logLevel'] => {
  const v = raw.trim().toLowerCase();
  if (v === 'debug' || v === 'info' || v === 'warn' || v === 'error' || v === 'silent') return v;
  throw new ConfigError(env, `must be one of debug, info, warn, error, silent; got ${JSON.stringify(raw)}`);
};

const fields: Field<keyof ParleyConfig>[] = [
  { key: 'domain', env: 'PARLEY_DOMAIN', def: 'localhost', parse: domain },
  { key: 'dataDir', env: 'PARLEY_DATA_DIR', def: './data', parse: str },
  { key: 'bindAddress', env: 'PARLEY_BIND_ADDRESS', def: '0.0.0.0', parse: str },
  { key: 'c2sPort', env: 'PARLEY_C2S_PORT', def: 5222, parse: port },
  { key: 'c2sTlsPort', env: 'PARLEY_C2S_TLS_PORT', def: 5223, parse: port },
  { key: 'httpPort', env: 'PARLEY_HTTP_PORT', def: 5280, parse: port },
  { key: 'tlsCert', env: 'PARLEY_TLS_CERT', def: null, parse: optPath },
  { key: 'tlsKey', env: 'PARLEY_TLS_KEY', def: null, parse: optPath },
  { key: 'requireTls', env: 'PARLEY_REQUIRE_TLS', def: true, parse: bool },
  { key: 'logLevel', env: 'PARLEY_LOG_LEVEL', def: 'info', parse: level },
  { key: 'scramIterations', env: 'PARLEY_SCRAM_ITERATIONS', def: 10000, parse: int(4096, 10_000_000) },
  { key: 'maxStanzaBytes', env: 'PARLEY_MAX_STANZA_BYTES', def: 262144, parse: int(10_000, 64 * 1024 * 1024) },
  { key: 'negotiationTimeoutSec', env: 'PARLEY_NEGOTIATION_TIMEOUT', def: 30, parse: int(1, 3600) },
  { key: 'idleTimeoutSec', env: 'PARLEY_IDLE_TIMEOUT', def: 600, parse: int(10, 86400) },
  { key: 'rateBytesPerSec', env: 'PARLEY_RATE_BYTES_PER_SEC', def: 256 * 1024, parse: int(1024, 1 << 30) },
  { key: 'rateBurstBytes', env: 'PARLEY_RATE_BURST_BYTES', def: 1024 * 1024, parse: int(10_000, 1 << 30) },
  { key: 'offlineQuota', env: 'PARLEY_OFFLINE_QUOTA', def: 1000, parse: int(0, 1_000_000) },
  { key: 'databaseUrl', env: 'PARLEY_DATABASE_URL', def: null, parse: optPath },
  { key: 'websocketSecure', env: 'PARLEY_WEBSOCKET_SECURE', def: false, parse: bool },
  { key: 'natsUrl', env: 'PARLEY_NATS_URL', def: null, parse: optPath },
  { key: 'natsCaFile', env: 'PARLEY_NATS_CA_FILE', def: null, parse: optPath },
  { key: 'natsCertFile', env: 'PARLEY_NATS_CERT_FILE', def: null, parse: optPath },
  { key: 'natsKeyFile', env: 'PARLEY_NATS_KEY_FILE', def: null, parse: optPath },
  { key: 'redisUrl', env: 'PARLEY_REDIS_URL', def: null, parse: optPath },
  { key: 'redisCaFile', env: 'PARLEY_REDIS_CA_FILE', def: null, parse: optPath },
  { key: 'databaseCaFile', env: 'PARLEY_DATABASE_CA_FILE', def: null, parse: optPath },
  { key: 'opsPort', env: 'PARLEY_OPS_PORT', def: 9464, parse: port },
  { key: 'edgeId', env: 'PARLEY_EDGE_ID', def: null, parse: optPath },
  { key: 'edgeTtlSec', env: 'PARLEY_EDGE_TTL', def: 10, parse: int(2, 600) },
  { key: 'leaseTtlMs', env: 'PARLEY_LEASE_TTL_MS', def: 5000, parse: int(500, 120_000) },
  { key: 'seeOtherHost', env: 'PARLEY_SEE_OTHER_HOST', def: null, parse: optPath },
  { key: 'adminPort', env: 'PARLEY_ADMIN_PORT', def: 9090, parse: port },
  { key: 'adminBindAddress', env: 'PARLEY_ADMIN_BIND_ADDRESS', def: null, parse: optPath },
  { key: 'adminTls', env: 'PARLEY_ADMIN_TLS', def: true, parse: bool },
  { key: 'clusterName', env: 'PARLEY_CLUSTER_NAME', def: 'parley', parse: (raw: string, env: string) => {
    if (!/^[a-z0-9_-]{1,32}$/.test(raw.trim())) throw new ConfigError(env, 'use 1-32 lower-case letters, digits, "-" or "_"');
    return raw.trim();
  } },
  { key: 'databaseSchema', env: 'PARLEY_DATABASE_SCHEMA', def: null, parse: (raw: string, env: string) => {
    if (raw.trim() === '') return null;
    if (!/^[a-z_][a-z0-9_]{0,62}$/.test(raw.trim())) throw new ConfigError(env, 'use a lower-case SQL identifier');
    return raw.trim();
  } },
] as Field<keyof ParleyConfig>[];

export function defaultConfig(): ParleyConfig {
  return Object.fromEntries(fields.map((f) => [f.key, f.def])) as unknown as ParleyConfig;
}

/**
 * Load configuration: defaults, then the YAML file named by PARLEY_CONFIG (keys as in
 * ParleyConfig, e.g. `c2sPort: 5222`), then environment variables. Throws ConfigError.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Partial<ParleyConfig> = {}): ParleyConfig {
  const cfg = defaultConfig() as unknown as Record<string, unknown>;
  const file = env.PARLEY_CONFIG;
  if (file) {
    let doc: unknown;
    try {
      doc = parseYaml(readFileSync(file, 'utf8'));
    } catch (e) {
      throw new ConfigError('PARLEY_CONFIG', `cannot read ${file}: ${(e as Error).message.split('\n')[0]}`);
    }
    if (doc !== null && (typeof doc !== 'object' || Array.isArray(doc))) throw new ConfigError('PARLEY_CONFIG', `${file} must hold a mapping of settings`);
    for (const [k, v] of Object.entries((doc ?? {}) as Record<string, unknown>)) {
      const f = fields.find((x) => x.key === k);
      if (!f) throw new ConfigError(`${file}: ${k}`, `unknown setting (known: ${fields.map((x) => x.key).join(', ')})`);
      cfg[k] = f.parse(v === null ? '' : String(v), `${file}: ${k}`);
    }
  }
  for (const f of fields) {
    const raw = env[f.env];
    if (raw !== undefined) cfg[f.key] = f.parse(raw, f.env);
  }
  Object.assign(cfg, overrides);
  const out = cfg as unknown as ParleyConfig;
  if ((out.tlsCert === null) !== (out.tlsKey === null)) {
    throw new ConfigError(out.tlsCert ? 'PARLEY_TLS_KEY' : 'PARLEY_TLS_CERT', 'PARLEY_TLS_CERT and PARLEY_TLS_KEY must be set together');
  }
  if (out.edgeId !== null && !/^[A-Za-z0-9_-]{1,64}$/.test(out.edgeId)) {
    throw new ConfigError('PARLEY_EDGE_ID', 'use 1-64 letters, digits, "-" or "_"');
  }
  if ((out.natsCertFile === null) !== (out.natsKeyFile === null)) {
    throw new ConfigError('PARLEY_NATS_CERT_FILE', 'PARLEY_NATS_CERT_FILE and PARLEY_NATS_KEY_FILE must be set together');
  }
  out.dataDir = resolve(out.dataDir);
  return out;
}

/** Cluster mode is on when the bus, the location service and the database are all external. */
export function clusterMode(c: ParleyConfig): boolean {
  return c.natsUrl !== null;
}

export function describeSettings(): Array<{ env: string; key: string; def: unknown }> {
  return fields.map((f) => ({ env: f.env, key: f.key, def: f.def }));
}
