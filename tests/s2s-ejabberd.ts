// A private ejabberd (Debian's package) for the interoperability tests: its own config directory,
// spool, logs, ports and Erlang node name, run in the foreground (ejabberdctl runs it as the
// `ejabberd` user, so its files are made readable to that user). Its resolver asks the test's DNS
// server (ERL_INETRC in the config directory); only certificates authenticate peers (no
// mod_s2s_dialback), checked against the test CA.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { accepts, freePort, type IssuedCert } from './s2s-ca.ts';

const run = promisify(execFile);

export class PrivateEjabberd {
  private constructor(
    private readonly child: ChildProcess,
    readonly dir: string,
    readonly domain: string,
    readonly c2sPort: number,
    readonly s2sPort: number,
    private readonly ctl: string[],
  ) {}

  static async start(o: { dir: string; domain: string; cert: IssuedCert; caFile: string; dnsPort: number; users: Array<[string, string]>; s2sPort?: number }): Promise<PrivateEjabberd> {
    const [c2s, s2s] = [await freePort(), o.s2sPort ?? (await freePort())];
    const conf = join(o.dir, 'conf');
    const spool = join(o.dir, 'spool');
    const logs = join(o.dir, 'logs');
    for (const d of [conf, spool, logs]) mkdirSync(d, { recursive: true });
    writeFileSync(
      join(conf, 'ejabberd.yml'),
      [
        `hosts: ["${o.domain}"]`,
        'loglevel: debug',
        `certfiles: ["${o.cert.certFile}", "${o.cert.keyFile}"]`,
        `ca_file: "${o.caFile}"`,
        'listen:',
        `  - { port: ${c2s}, ip: "127.0.0.1", module: ejabberd_c2s, starttls_required: true }`,
        `  - { port: ${s2s}, ip: "127.0.0.1", module: ejabberd_s2s_in }`,
        's2s_use_starttls: required',
        'auth_method: internal',
        'acl: { local: { user_regexp: "" } }',
        'access_rules: { local: { allow: local }, c2s: { allow: all }, s2s: { allow: all } }',
        'modules: { mod_roster: {}, mod_disco: {}, mod_ping: {}, mod_blocking: {}, mod_privacy: {}, mod_offline: {} }',
        '',
      ].join('\n'),
    );
    // Erlang's resolver: the hosts entry for the node name, no /etc/resolv.conf, the test's DNS server only.
    writeFileSync(join(conf, 'inetrc'), `{lookup, [file, dns]}.\n{host, {127,0,0,1}, ["localhost"]}.\n{resolv_conf, ""}.\n{nameserver, {127,0,0,1}, ${o.dnsPort}}.\n`);
    // ejabberdctl drops to the ejabberd user when started as root: it must read the test's files.
    if (userInfo().uid === 0) {
      const { stdout } = await run('id', ['-u', 'ejabberd']);
      const { stdout: gid } = await run('id', ['-g', 'ejabberd']);
      for (const d of [o.dir, conf, spool, logs]) chownSync(d, Number(stdout), Number(gid));
      for (const f of [o.cert.keyFile, o.cert.certFile, o.caFile]) chmodSync(f, 0o644);
      for (const d of [join(o.cert.keyFile, '..')]) chmodSync(d, 0o755);
    }
    const node = `parley_ejabberd_${c2s}@localhost`;
    const ctl = ['--config-dir', conf, '--logs', logs, '--spool', spool, '--node', node];
    const child = spawn('ejabberdctl', [...ctl, 'foreground'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout?.on('data', (d) => (output += d));
    child.stderr?.on('data', (d) => (output += d));
    const p = new PrivateEjabberd(child, o.dir, o.domain, c2s, s2s, ctl);
    const deadline = Date.now() + 40_000;
    while (!(await accepts(c2s))) {
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`ejabberd did not start: ${output.slice(-3000)}\n${p.log().slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    for (const [user, password] of o.users) await run('ejabberdctl', [...ctl, 'register', user, o.domain, password]);
    return p;
  }

  log(): string {
    try {
      return readFileSync(join(this.dir, 'logs', 'ejabberd.log'), 'utf8');
    } catch {
      return '';
    }
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const done = new Promise((r) => this.child.once('exit', r));
    await run('ejabberdctl', [...this.ctl, 'stop']).catch(() => this.child.kill('SIGTERM'));
    await Promise.race([done, new Promise((r) => setTimeout(r, 10_000))]);
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
  }
}
