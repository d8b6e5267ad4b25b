// A test CA (openssl) that issues server certificates for test domains, and the bad ones the
// federation tests are refused with: from an untrusted CA, expired, or naming another domain.
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export { freePort } from './cluster/backends.ts';

export interface IssuedCert {
  certFile: string;
  keyFile: string;
  fingerprint: string;
}

export class TestCa {
  readonly dir = mkdtempSync(join(tmpdir(), 'parley-s2s-ca-'));
  readonly caFile: string;
  private n = 0;

  constructor(private readonly name = 'ca') {
    this.caFile = this.f(`${name}.pem`);
    this.ssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2', '-subj', `/CN=Parley federation test ${name}`, '-keyout', this.f(`${name}.key`), '-out', this.caFile);
  }

  /** A server certificate naming `names` (DNS subjectAltNames); `days: -1` makes it expired. */
  issue(names: string[], opts: { days?: number } = {}): IssuedCert {
    const base = this.f(`cert${this.n++}`);
    this.ssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', `/CN=${names[0]}`, '-keyout', `${base}.key`, '-out', `${base}.csr`);
    writeFileSync(`${base}.ext`, `subjectAltName=${names.map((n) => `DNS:${n}`).join(',')}\nextendedKeyUsage=serverAuth,clientAuth\n`);
    this.ssl('x509', '-req', '-in', `${base}.csr`, '-CA', this.caFile, '-CAkey', this.f(`${this.name}.key`), '-CAcreateserial', '-days', String(opts.days ?? 2), '-extfile', `${base}.ext`, '-out', `${base}.pem`);
    const fingerprint = new X509Certificate(execFileSync('cat', [`${base}.pem`])).fingerprint256;
    return { certFile: `${base}.pem`, keyFile: `${base}.key`, fingerprint };
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }

  private f(n: string): string {
    return join(this.dir, n);
  }

  private ssl(...args: string[]): void {
    execFileSync('openssl', args, { cwd: this.dir, stdio: 'pipe' });
  }
}


/** True once something listens on the loopback port (a peer server finished starting). */
export function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port }, () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}
