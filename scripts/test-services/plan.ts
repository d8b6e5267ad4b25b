// Which way `make test` gets its Postgres, Redis and NATS: a pure decision over what the machine has,
// so that it can be tested without any of them (tests/ops/test-services.test.ts).
export const SERVICES = ['postgres', 'redis', 'nats'] as const;
export type Service = (typeof SERVICES)[number];

/** Where the tests look for each service, and the default when the variable is unset. */
export const SERVICE_URLS: Record<Service, { env: string; def: string }> = {
  postgres: { env: 'PARLEY_TEST_DATABASE_URL', def: 'postgres://postgres@127.0.0.1:5432/test' },
  redis: { env: 'PARLEY_TEST_REDIS_URL', def: 'redis://127.0.0.1:6379' },
  nats: { env: 'PARLEY_TEST_NATS_URL', def: 'nats://127.0.0.1:4222' },
};

/** The Debian/Ubuntu package that provides each server. */
export const DEBIAN_PACKAGES: Record<Service, string> = { postgres: 'postgresql', redis: 'redis-server', nats: 'nats-server' };

export interface Machine {
  /** Each service answers on its URL (PARLEY_TEST_*_URL or the default local port). */
  reachable: Record<Service, boolean>;
  /** A Docker (or compatible) engine answers, so testcontainers can start containers. */
  docker: boolean;
  /** The server programs are installed (initdb/pg_ctl, redis-server, nats-server). */
  installed: Record<Service, boolean>;
  /** Running as root (apt-get install works). */
  root: boolean;
  /** apt-get exists (Debian, Ubuntu). */
  apt: boolean;
}

export type Plan =
  /** Everything answers: use it as it is. */
  | { kind: 'running' }
  /** Start the missing services as containers (testcontainers). */
  | { kind: 'containers'; services: Service[] }
  /** Install the missing packages (if any), then start the missing services in a temporary directory. */
  | { kind: 'local'; install: string[]; services: Service[] }
  /** Nothing works: one message that names what is missing and how to provide it. */
  | { kind: 'missing'; message: string };

export function planTestServices(m: Machine): Plan {
  const missing = SERVICES.filter((s) => !m.reachable[s]);
  if (missing.length === 0) return { kind: 'running' };
  if (m.docker) return { kind: 'containers', services: missing };
  const notInstalled = missing.filter((s) => !m.installed[s]);
  if (notInstalled.length === 0) return { kind: 'local', install: [], services: missing };
  if (m.root && m.apt) return { kind: 'local', install: notInstalled.map((s) => DEBIAN_PACKAGES[s]), services: missing };
  const lines = missing.map((s) => `  ${s.padEnd(8)} not reachable at ${SERVICE_URLS[s].env} (default ${SERVICE_URLS[s].def})`);
  const how = [
    'Provide them in one of these ways:',
    '  - start them yourself and point the variables above at them (PARLEY_TEST_*_URL);',
    '  - run a Docker engine: the tests then start them with testcontainers;',
    `  - on Debian/Ubuntu as root: make test installs ${notInstalled.map((s) => DEBIAN_PACKAGES[s]).join(', ')} and starts them in a temporary directory` +
      (m.apt ? ' (you are not root)' : ' (this machine has no apt-get)') +
      '.',
  ];
  return { kind: 'missing', message: ['The tests need PostgreSQL, Redis and NATS with JetStream:', ...lines, ...how].join('\n') };
}
