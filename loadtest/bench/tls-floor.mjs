// The floor under an idle XMPP session: what Node and OpenSSL alone hold per idle STARTTLS connection.
// A bare server (no XMPP) upgrades each TCP connection the way the edge does (net socket, then
// `new TLSSocket(raw, { isServer: true, secureContext })` on a self-signed RSA-2048 certificate like the
// edge's), answers one ~1 KB exchange over TLS and then holds the connection idle. The server runs as a child
// with loadtest/bench/memprobe.cjs; this process is the client (Node's tls.connect, as parley-load's).
// Memory is probed (two forced full GCs) before the connections and with all of them open.
// Usage: node loadtest/bench/tls-floor.mjs --count 10000 --rate 200 --port 29450 [--variant tls|tls12|plain] [--server-flags "..."]
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Duplex } from 'node:stream';
import tls from 'node:tls';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const here = dirname(fileURLToPath(import.meta.url));
const { values: opt } = parseArgs({
  options: {
    role: { type: 'string', default: 'client' },
    count: { type: 'string', default: '1000' },
    rate: { type: 'string', default: '200' },
    port: { type: 'string', default: '29450' },
    'server-flags': { type: 'string', default: '' },
    /** tls (the edge's STARTTLS), tls12 (the same, TLS 1.2 at most), or plain (no TLS: what TCP alone costs). */
    variant: { type: 'string', default: 'tls' },
    cert: { type: 'string' },
    key: { type: 'string' },
  },
});
const port = Number(opt.port);

if (opt.role === 'server') {
  const secureContext = tls.createSecureContext({
    cert: readFileSync(opt.cert),
    key: readFileSync(opt.key),
    minVersion: 'TLSv1.2',
    maxVersion: opt.variant === 'tls12' ? 'TLSv1.2' : 'TLSv1.3',
  });
  const server = net.createServer((raw) => {
    raw.setNoDelay(true);
    if (opt.variant === 'plain') {
      raw.on('data', (chunk) => raw.write(`<ok n="${chunk.length}"/>`));
      raw.on('error', () => raw.destroy());
      return;
    }
    raw.once('data', () => {
      raw.write('<proceed/>');
      // tls-js: the TLS layer reads through a JS stream (Node's JSStreamSocket) instead of the TCP handle.
      const under = opt.variant === 'tls-js' ? jsStream(raw) : raw;
      const secure = new tls.TLSSocket(under, { isServer: true, secureContext });
      secure.on('error', () => secure.destroy());
      secure.on('data', (chunk) => secure.write(`<ok n="${chunk.length}"/>`));
    });
    raw.on('error', () => raw.destroy());
  });
  server.listen(port, '127.0.0.1', () => process.send?.('listening'));
} else {
  await client();
}

async function client() {
  const count = Number(opt.count);
  const rate = Number(opt.rate);
  const dir = mkdtempSync(join(tmpdir(), 'tls-floor-'));
  const { generate } = await import('selfsigned');
  const pems = await generate([{ name: 'commonName', value: 'localhost' }], { keySize: 2048, algorithm: 'sha256' });
  writeFileSync(join(dir, 'key.pem'), pems.private);
  writeFileSync(join(dir, 'cert.pem'), pems.cert);
  const probeOut = join(dir, 'memprobe.jsonl');
  const flags = opt['server-flags'].split(' ').filter(Boolean);
  const child = spawn(
    process.execPath,
    [...flags, '--expose-gc', '-r', join(here, 'memprobe.cjs'), fileURLToPath(import.meta.url), '--role', 'server', '--variant', opt.variant, '--port', String(port), '--cert', join(dir, 'cert.pem'), '--key', join(dir, 'key.pem')],
    { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], env: { ...process.env, MEMPROBE_OUT: probeOut } },
  );
  await new Promise((resolve, reject) => {
    child.once('message', resolve);
    child.once('exit', (code) => reject(new Error(`floor server exited (${code})`)));
  });
  const probe = async () => {
    const before = lines();
    child.kill('SIGUSR2');
    while (lines() === before) await sleep(100);
    return JSON.parse(readFileSync(probeOut, 'utf8').trim().split('\n').at(-1));
  };
  const lines = () => {
    try {
      return readFileSync(probeOut, 'utf8').trim().split('\n').filter(Boolean).length;
    } catch {
      return 0;
    }
  };
  await sleep(1000);
  const a = await probe();
  const sockets = [];
  let failed = 0;
  const t0 = Date.now();
  const pending = [];
  for (let i = 0; i < count; i++) {
    const due = t0 + (i * 1000) / rate;
    if (due > Date.now()) await sleep(due - Date.now());
    pending.push(
      open().then(
        (s) => sockets.push(s),
        () => failed++,
      ),
    );
  }
  await Promise.all(pending);
  await sleep(3000);
  const b = await probe();
  const n = sockets.length;
  const mb = (x) => (x / 1048576).toFixed(1);
  const per = (x) => (x / 1024 / n).toFixed(1);
  console.log(`bare ${opt.variant} floor: ${n} idle connections open, ${failed} failed (node ${process.version}, ${process.versions.openssl})`);
  for (const [k, f] of [
    ['RSS', (p) => p.vmrssKB * 1024],
    ['heapUsed', (p) => p.heapUsed],
    ['heapTotal', (p) => p.heapTotal],
    ['external', (p) => p.external],
    ['arrayBuffers', (p) => p.arrayBuffers],
  ])
    console.log(`${k.padEnd(12)} ${mb(f(a)).padStart(8)} MB before  ${mb(f(b)).padStart(8)} MB with connections  ${per(f(b) - f(a)).padStart(7)} KiB per connection`);
  for (const s of sockets) s.destroy();
  child.kill('SIGTERM');
}

function open() {
  return new Promise((resolve, reject) => {
    const raw = net.connect(port, '127.0.0.1', () => raw.write(opt.variant === 'plain' ? `<message>${'x'.repeat(1000)}</message>` : '<starttls/>'));
    raw.setNoDelay(true);
    raw.once('error', reject);
    if (opt.variant === 'plain') {
      raw.once('data', () => resolve(raw));
      return;
    }
    raw.once('data', () => {
      const secure = tls.connect({ socket: raw, servername: 'localhost', rejectUnauthorized: false });
      secure.once('error', reject);
      secure.once('secureConnect', () => secure.write(`<message>${'x'.repeat(1000)}</message>`));
      secure.once('data', () => resolve(secure));
    });
  });
}

function jsStream(raw) {
  const d = new Duplex({
    read() {
      raw.resume();
    },
    write(chunk, _enc, cb) {
      raw.write(chunk, cb);
    },
    final(cb) {
      raw.end();
      cb();
    },
  });
  raw.on('data', (c) => {
    if (!d.push(c)) raw.pause();
  });
  raw.on('end', () => d.push(null));
  return d;
}

function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}
