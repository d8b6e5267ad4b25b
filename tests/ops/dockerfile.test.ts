// The Dockerfile, read as Docker would: it lints clean (the Docker language service's validator) and
// the runtime stage has the properties the chart relies on. No Docker engine runs here, so the image
// itself is not built in the tests (docs/operations.md says how to build and try it).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { DockerfileParser, type Instruction } from 'dockerfile-ast';
import { validate } from 'dockerfile-utils';
import { ROOT } from './chart.ts';

const text = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
const dockerfile = DockerfileParser.parse(text);
const instructions = dockerfile.getInstructions();
const froms = dockerfile.getFROMs();
/** Instructions of the last stage (the image that runs). */
const runtime = instructions.filter((i) => i.getRange().start.line > froms.at(-1)!.getRange().start.line);
const keyword = (list: Instruction[], k: string) => list.filter((i) => i.getKeyword() === k);
const jsonArgs = (i: Instruction) => JSON.parse(i.getArgumentsContent()!) as string[];

test('the Dockerfile has no lint finding', () => {
  assert.deepEqual(validate(text).map((d) => `line ${d.range.start.line + 1}: ${d.message}`), []);
  // The validator does find faults: it is not silent on anything.
  assert.ok(validate('FROM node:20\nUSER\nHEALTHCHECK CMD\n').length >= 2);
});

test('it is a multi-stage build whose build stage runs the npm build and drops dev dependencies', () => {
  assert.deepEqual(froms.map((f) => f.getBuildStage()), ['build', 'runtime']);
  const build = instructions.filter((i) => i.getRange().start.line < froms[1]!.getRange().start.line);
  const run = keyword(build, 'RUN').map((i) => i.getArgumentsContent()).join(' ');
  assert.match(run, /npm run build/);
  assert.match(run, /npm prune --omit=dev/);
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
  assert.equal(pkg.scripts.build, 'node scripts/build.mjs');
  assert.match(readFileSync(join(ROOT, 'scripts', 'build.mjs'), 'utf8'), /services\/cli\/dist\/parley\.js/);
});

test('the runtime stage runs as a non-root user, through tini, with a health check', () => {
  const user = keyword(runtime, 'USER');
  assert.equal(user.length, 1);
  const uid = user[0]!.getArgumentsContent()!.split(':')[0]!;
  assert.match(uid, /^\d+$/, 'a numeric uid, so runAsNonRoot can verify it');
  assert.notEqual(Number(uid), 0);
  assert.match(keyword(runtime, 'RUN').map((i) => i.getArgumentsContent()).join(' '), /apt-get install -y --no-install-recommends tini/);
  const entrypoint = jsonArgs(keyword(runtime, 'ENTRYPOINT')[0]!);
  assert.deepEqual(entrypoint.slice(0, 2), ['/usr/bin/tini', '--'], 'tini is PID 1 and forwards SIGTERM');
  const health = keyword(runtime, 'HEALTHCHECK')[0]!.getArgumentsContent()!;
  assert.match(health, /^CMD \["node", "\/app\/healthcheck\.mjs"\]$/);
  assert.deepEqual(jsonArgs(keyword(runtime, 'CMD')[0]!), ['start']);
});

test('the runtime stage copies the bundle, its launcher, the migrations and nothing that needs a compiler', () => {
  const copies = keyword(runtime, 'COPY').map((i) => i.getArgumentsContent()!.split(/\s+/));
  const sources = copies.map(([src]) => src!.replace(/^\/src\//, ''));
  assert.deepEqual(sources.sort(), ['migrations', 'node_modules', 'ops/docker/healthcheck.mjs', 'services/cli/bin', 'services/cli/dist', 'services/cli/package.json'].sort());
  for (const s of sources.filter((x) => x !== 'node_modules' && x !== 'services/cli/dist')) assert.ok(existsSync(join(ROOT, s)), `${s} exists`);
  // services/cli/src/paths.ts finds migrations three levels above the bundle: /app/services/cli/dist -> /app/migrations.
  const dest = Object.fromEntries(copies.map(([src, to]) => [src!.replace(/^\/src\//, ''), to]));
  assert.equal(dest['services/cli/dist'], './services/cli/dist');
  assert.equal(dest.migrations, './migrations');
  assert.equal(keyword(runtime, 'WORKDIR')[0]!.getArgumentsContent(), '/app');
  assert.equal(jsonArgs(keyword(runtime, 'ENTRYPOINT')[0]!)[3], '/app/services/cli/bin/parley.js');
  // A read-only root file system works: the data directory and /tmp are volumes.
  assert.deepEqual(JSON.parse(keyword(runtime, 'VOLUME')[0]!.getArgumentsContent()!), ['/var/lib/parley', '/tmp']);
  assert.match(keyword(runtime, 'ENV')[0]!.getArgumentsContent()!, /PARLEY_DATA_DIR=\/var\/lib\/parley/);
});

test('the .dockerignore keeps node_modules, build output and local data out of the build context', () => {
  const ignored = readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n').filter((l) => l && !l.startsWith('#'));
  for (const p of ['**/node_modules', '**/dist', 'data', '.git']) assert.ok(ignored.includes(p), p);
  assert.ok(!ignored.some((p) => 'ops/docker/healthcheck.mjs'.startsWith(p)), 'the health check script stays in the context');
});

/** Runs the image's health check script with env and reports its exit code. */
function healthcheck(env: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'ops', 'docker', 'healthcheck.mjs')], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: 'ignore' });
    child.once('error', reject);
    child.once('exit', (code) => resolve(code ?? -1));
  });
}

test('the health check asks /healthz on the ops port in cluster mode and on the HTTP port in embedded mode', async () => {
  let status = 200;
  const paths: string[] = [];
  const server = createServer((req, res) => {
    paths.push(req.url ?? '');
    res.writeHead(status).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = String((server.address() as AddressInfo).port);
  try {
    assert.equal(await healthcheck({ PARLEY_NATS_URL: 'nats://x:4222', PARLEY_OPS_PORT: port, PARLEY_HTTP_PORT: '1' }), 0);
    assert.equal(await healthcheck({ PARLEY_HTTP_PORT: port, PARLEY_OPS_PORT: '1' }), 0);
    status = 503;
    assert.equal(await healthcheck({ PARLEY_HTTP_PORT: port }), 1);
    assert.deepEqual(paths, ['/healthz', '/healthz', '/healthz']);
  } finally {
    await new Promise((r) => server.close(r));
  }
  assert.equal(await healthcheck({ PARLEY_HTTP_PORT: port }), 1, 'nothing listening');
});
