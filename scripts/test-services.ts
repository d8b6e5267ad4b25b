// `make test`'s services: runs a command (the test suite) with PostgreSQL, Redis and NATS available.
// Services already answering are used as they are; otherwise testcontainers starts them when a
// Docker engine answers; otherwise, as root on Debian/Ubuntu, their packages are installed and they
// run from a temporary directory; otherwise one message says what is missing. See plan.ts.
// Usage: node --import tsx scripts/test-services.ts <command> [args...]
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { dockerReachable, startContainers } from './test-services/containers.ts';
import { serverInstalled, startLocal } from './test-services/local.ts';
import { type Machine, planTestServices, SERVICES, SERVICE_URLS, type Service } from './test-services/plan.ts';

function reachable(url: string, defaultPort: number): Promise<boolean> {
  // The first host of a URL (NATS allows a comma list).
  const u = new URL(url.split(',')[0]!);
  const port = Number(u.port || defaultPort);
  return new Promise((resolve) => {
    const s = connect({ host: u.hostname.replace(/^\[|\]$/g, ''), port });
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(2000, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

const DEFAULT_PORTS: Record<Service, number> = { postgres: 5432, redis: 6379, nats: 4222 };

async function main(command: string[]): Promise<number> {
  if (command.length === 0) {
    console.error('usage: node --import tsx scripts/test-services.ts <command> [args...]');
    return 2;
  }
  const urlOf = (s: Service) => process.env[SERVICE_URLS[s].env] || SERVICE_URLS[s].def;
  const reach = Object.fromEntries(await Promise.all(SERVICES.map(async (s) => [s, await reachable(urlOf(s), DEFAULT_PORTS[s])]))) as Record<Service, boolean>;
  const someMissing = SERVICES.some((s) => !reach[s]);
  const machine: Machine = {
    reachable: reach,
    docker: someMissing ? await dockerReachable() : false,
    installed: Object.fromEntries(SERVICES.map((s) => [s, serverInstalled(s)])) as Record<Service, boolean>,
    root: process.getuid?.() === 0,
    apt: existsSync('/usr/bin/apt-get'),
  };
  const plan = planTestServices(machine);
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const s of SERVICES) env[SERVICE_URLS[s].env] = urlOf(s);
  let stop = async () => {};
  switch (plan.kind) {
    case 'missing':
      console.error(plan.message);
      return 1;
    case 'running':
      break;
    case 'containers': {
      console.error(`test services: starting ${plan.services.join(', ')} with testcontainers`);
      const c = await startContainers(plan.services);
      for (const [s, url] of Object.entries(c.urls)) env[SERVICE_URLS[s as Service].env] = url;
      stop = c.stop;
      break;
    }
    case 'local': {
      if (plan.install.length) {
        console.error(`test services: installing ${plan.install.join(', ')}`);
        execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
        execFileSync('apt-get', ['install', '-y', '-qq', ...plan.install], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
      }
      const l = await startLocal(plan.services);
      console.error(`test services: started ${plan.services.join(', ')} in ${l.dir}`);
      for (const [s, url] of Object.entries(l.urls)) env[SERVICE_URLS[s as Service].env] = url;
      stop = l.stop;
      break;
    }
  }
  const child = spawn(command[0]!, command.slice(1), { stdio: 'inherit', env });
  const forward = (sig: NodeJS.Signals) => child.kill(sig);
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  const code = await new Promise<number>((resolve) => child.once('exit', (c, sig) => resolve(c ?? (sig ? 1 : 0))));
  await stop();
  return code;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    console.error(`test services: ${(err as Error).message}`);
    process.exit(1);
  },
);
