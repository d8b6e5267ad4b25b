// A private Prosody (Debian's package) for the interoperability tests: its own config, data
// directory and ports, run in the foreground as a child of the test, never the system service.
// It finds Parley through the test DNS server (tests/s2s-dns.ts) and trusts only the test CA.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { accepts, freePort, type IssuedCert } from './s2s-ca.ts';

export class PrivateProsody {
  private constructor(
    private readonly child: ChildProcess,
    readonly dir: string,
    readonly domain: string,
    readonly c2sPort: number,
    readonly s2sPort: number,
  ) {}

  static async start(o: { dir: string; domain: string; cert: IssuedCert; caFile: string; dnsPort: number; users: Array<[string, string]>; s2sPort?: number; dialback?: boolean }): Promise<PrivateProsody> {
    const [c2s, s2s] = [await freePort(), o.s2sPort ?? (await freePort())];
    const data = join(o.dir, 'data');
    mkdirSync(data, { recursive: true });
    const cfg = join(o.dir, 'prosody.cfg.lua');
    const ssl = `{ certificate = "${o.cert.certFile}"; key = "${o.cert.keyFile}"; cafile = "${o.caFile}"; }`;
    writeFileSync(
      cfg,
      [
        'run_as_root = true',
        `pidfile = "${join(o.dir, 'prosody.pid')}"`,
        `data_path = "${data}"`,
        `log = { { levels = { min = "debug" }, to = "file", filename = "${join(o.dir, 'prosody.log')}" } }`,
        'interfaces = { "127.0.0.1" }',
        `c2s_ports = { ${c2s} }`,
        `s2s_ports = { ${s2s} }`,
        'c2s_direct_tls_ports = { }',
        's2s_direct_tls_ports = { }',
        'c2s_require_encryption = true',
        's2s_require_encryption = true',
        // Certificates only (no dialback fallback for a peer whose certificate does not verify), unless the test is about dialback.
        `s2s_secure_auth = ${o.dialback ? 'false' : 'true'}`,
        'authentication = "internal_hashed"',
        `modules_enabled = { "roster", "saslauth", "tls", "disco", "ping", "presence", "blocklist"${o.dialback ? ', "dialback"' : ''} }`,
        'modules_disabled = { "s2s_bidi", "admin_shell", "http" }',
        `ssl = ${ssl}`,
        // Its DNS resolver asks only the test's server (unbound refuses loopback servers unless told).
        `unbound = { forward = "127.0.0.1@${o.dnsPort}"; resolvconf = false; hoststxt = false; options = { ["do-not-query-localhost:"] = "no" } }`,
        `VirtualHost "${o.domain}"`,
        `  ssl = ${ssl}`,
        '',
      ].join('\n'),
    );
    for (const [user, password] of o.users) await promisify(execFile)('prosodyctl', ['--config', cfg, 'register', user, o.domain, password]);
    const child = spawn('prosody', ['--config', cfg, '-F'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout?.on('data', (d) => (output += d));
    child.stderr?.on('data', (d) => (output += d));
    const p = new PrivateProsody(child, o.dir, o.domain, c2s, s2s);
    const deadline = Date.now() + 30_000;
    while (!(await accepts(c2s))) {
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`prosody did not start: ${output}\n${p.log().slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    return p;
  }

  log(): string {
    try {
      return readFileSync(join(this.dir, 'prosody.log'), 'utf8');
    } catch {
      return '';
    }
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const done = new Promise((r) => this.child.once('exit', r));
    this.child.kill('SIGTERM');
    await done;
  }
}
