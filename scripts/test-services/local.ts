// Starts PostgreSQL, Redis and NATS (JetStream) from the machine's Debian packages in a temporary
// directory on free loopback ports, and stops them again: the `local` plan of test-services.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Service } from './plan.ts';

export interface Started {
  url: string;
  stop(): Promise<void>;
}

/** The newest PostgreSQL server's bin directory, or null. */
export function postgresBin(): string | null {
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return null;
  const versions = readdirSync(base).filter((v) => existsSync(join(base, v, 'bin', 'initdb'))).sort((a, b) => Number(b) - Number(a));
  return versions[0] ? join(base, versions[0], 'bin') : null;
}

export function serverInstalled(s: Service): boolean {
  if (s === 'postgres') return postgresBin() !== null;
  return findProgram(s === 'redis' ? 'redis-server' : 'nats-server') !== null;
}

function findProgram(name: string): string | null {
  for (const dir of ['/usr/bin', '/usr/sbin', '/usr/local/bin', ...(process.env.PATH ?? '').split(':')]) {
    if (dir && existsSync(join(dir, name))) return join(dir, name);
  }
  return null;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

export async function waitForPort(port: number, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect({ port, host: '127.0.0.1' });
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`${what} did not listen on 127.0.0.1:${port} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Runs a command as the postgres user when we are root (initdb refuses to run as root). */
function asPostgres(cmd: string, args: string[]): void {
  const root = process.getuid?.() === 0;
  if (root) execFileSync('runuser', ['-u', 'postgres', '--', cmd, ...args], { stdio: 'pipe' });
  else execFileSync(cmd, args, { stdio: 'pipe' });
}

async function startPostgres(dir: string): Promise<Started> {
  const bin = postgresBin();
  if (!bin) throw new Error('PostgreSQL is not installed (Debian package postgresql)');
  const data = join(dir, 'postgres');
  mkdirSync(data);
  if (process.getuid?.() === 0) {
    chownSync(dir, Number(execFileSync('id', ['-u', 'postgres']).toString()), 0);
    chownSync(data, Number(execFileSync('id', ['-u', 'postgres']).toString()), 0);
  }
  const port = await freePort();
  asPostgres(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '-A', 'trust', '--no-sync', '-E', 'UTF8']);
  const opts = `-p ${port} -c listen_addresses=127.0.0.1 -k ${dir} -c fsync=off -c full_page_writes=off -c max_connections=200`;
  asPostgres(join(bin, 'pg_ctl'), ['-D', data, '-o', opts, '-l', join(dir, 'postgres.log'), '-w', 'start']);
  asPostgres(join(bin, 'createdb'), ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', 'test']);
  return {
    url: `postgres://postgres@127.0.0.1:${port}/test`,
    stop: async () => asPostgres(join(bin, 'pg_ctl'), ['-D', data, '-m', 'fast', '-w', 'stop']),
  };
}

function startChild(program: string, args: string[], port: number, what: string): Promise<Started> {
  const child: ChildProcess = spawn(program, args, { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = what === 'Redis' ? `redis://127.0.0.1:${port}` : `nats://127.0.0.1:${port}`;
  return waitForPort(port, what).then(
    () => ({
      url,
      stop: async () => {
        if (child.exitCode === null) child.kill('SIGTERM');
        await exited;
      },
    }),
    (err) => {
      child.kill('SIGKILL');
      throw err;
    },
  );
}

async function startRedis(dir: string): Promise<Started> {
  const bin = findProgram('redis-server');
  if (!bin) throw new Error('Redis is not installed (Debian package redis-server)');
  const port = await freePort();
  return startChild(bin, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], port, 'Redis');
}

async function startNats(dir: string): Promise<Started> {
  const bin = findProgram('nats-server');
  if (!bin) throw new Error('NATS is not installed (Debian package nats-server)');
  const port = await freePort();
  return startChild(bin, ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', join(dir, 'nats')], port, 'NATS');
}

const starters: Record<Service, (dir: string) => Promise<Started>> = { postgres: startPostgres, redis: startRedis, nats: startNats };

/** Starts the given services under one temporary directory; `stop` stops them all and removes it. */
export async function startLocal(services: Service[]): Promise<{ urls: Partial<Record<Service, string>>; dir: string; stop(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'parley-test-services-'));
  const started: Started[] = [];
  const stop = async () => {
    for (const s of started.reverse()) await s.stop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  };
  const urls: Partial<Record<Service, string>> = {};
  try {
    for (const s of services) {
      const st = await starters[s](dir);
      started.push(st);
      urls[s] = st.url;
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { urls, dir, stop };
}
