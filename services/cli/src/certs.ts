// `parley cert ca init|issue|list|revoke`: the administrators' side of certificate accounts
// (docs/certificates.md). Through the running embedded server's admin socket when it holds the
// database (decision 0005), otherwise on the database itself; a revocation is published on the bus
// so every edge closes the streams that signed in with the certificate (cluster mode: over NATS).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { auditLog, UserError, usernameOf } from '@parley/admin';
import type { Bus } from '@parley/bus';
import type { ParleyConfig } from '@parley/config';
import { REVOKED_TEXT } from '@parley/extensions';
import type { Logger } from '@parley/log';
import { createClientCa, issueClientCert, PkiError } from '@parley/pki';
import type { Store } from '@parley/store';
import { controlSubject } from '@parley/subjects';
import type { WireMessage } from '@parley/wire';
import type { FastifyInstance } from 'fastify';

type CertConfig = Pick<ParleyConfig, 'domain' | 'certDays' | 'certCaPassphrase'>;

export interface CaView {
  domain: string;
  certPem: string;
  created: boolean;
}
export interface IssuedView {
  jid: string;
  name: string;
  fingerprint: string;
  notAfter: string;
  certPem: string;
  keyPem: string;
}
export interface CertRow {
  name: string;
  fingerprint: string;
  source: string;
  state: string;
  notAfter: string;
}

const CA_DAYS = 3650;

export async function caInit(store: Store, config: CertConfig, log: Logger, force: boolean): Promise<CaView> {
  const existing = await store.clientCerts.ca(config.domain);
  if (existing && !force) return { domain: config.domain, certPem: existing.certPem, created: false };
  const ca = await createClientCa(config.domain, { days: CA_DAYS, passphrase: config.certCaPassphrase });
  await store.clientCerts.setCa(config.domain, ca, force);
  await auditLog(store.sql, log).record({ actor: 'cli', action: 'cert.ca-init', target: config.domain, detail: { replaced: existing !== null, encrypted: ca.keyEncrypted } });
  return { domain: config.domain, certPem: ca.certPem, created: true };
}

export async function issue(store: Store, config: CertConfig, log: Logger, jid: string, opts: { days?: number; name?: string }): Promise<IssuedView> {
  const user = usernameOf(jid, config.domain);
  const target = `${user}@${config.domain}`;
  if (!(await store.users.exists(user, config.domain))) throw new UserError(`no account ${target}`);
  const ca = await store.clientCerts.ca(config.domain);
  if (!ca) throw new UserError('there is no client CA yet: run "parley cert ca init" first');
  let issued: Awaited<ReturnType<typeof issueClientCert>>;
  try {
    issued = await issueClientCert(ca, target, { days: opts.days ?? config.certDays, passphrase: config.certCaPassphrase });
  } catch (err) {
    if (err instanceof PkiError) throw new UserError(err.message);
    throw err;
  }
  const name = opts.name ?? `issued ${new Date().toISOString().slice(0, 19)}Z`;
  const outcome = await store.clientCerts.add(user, config.domain, { fingerprint: issued.fingerprint, name, certPem: issued.certPem, source: 'issued', manage: true, notAfter: issued.notAfter });
  if (outcome === 'name-taken') throw new UserError(`${target} has a certificate named "${name}" already`);
  if (outcome !== 'ok') throw new UserError(`the certificate could not be recorded (${outcome})`);
  await auditLog(store.sql, log).record({ actor: 'cli', action: 'cert.issue', target, detail: { fingerprint: issued.fingerprint, name } });
  return { jid: target, name, fingerprint: issued.fingerprint, notAfter: issued.notAfter.toISOString(), certPem: issued.certPem, keyPem: issued.keyPem! };
}

export async function list(store: Store, config: CertConfig, jid: string): Promise<{ jid: string; certs: CertRow[] }> {
  const user = usernameOf(jid, config.domain);
  const target = `${user}@${config.domain}`;
  if (!(await store.users.exists(user, config.domain))) throw new UserError(`no account ${target}`);
  const certs = await store.clientCerts.list(user, config.domain, true);
  return { jid: target, certs: certs.map((c) => ({ name: c.name, fingerprint: c.fingerprint, source: c.source, state: c.state, notAfter: c.notAfter.toISOString() })) };
}

/** Revokes in the store (every later sign-in is refused), then tells every edge to close its streams. */
export async function revoke(store: Store, config: CertConfig, log: Logger, jid: string, key: string, bus: Bus<WireMessage> | null): Promise<{ jid: string; fingerprint: string; closed: boolean }> {
  const user = usernameOf(jid, config.domain);
  const target = `${user}@${config.domain}`;
  const cert = await store.clientCerts.setState(user, config.domain, key, 'revoked');
  if (!cert) throw new UserError(`${target} has no active or disabled certificate named or with fingerprint "${key}"`);
  await auditLog(store.sql, log).record({ actor: 'cli', action: 'cert.revoke', target, detail: { fingerprint: cert.fingerprint, name: cert.name } });
  bus?.publish(controlSubject('credentials'), { kind: 'credential-revoked', credential: cert.fingerprint, text: REVOKED_TEXT });
  await bus?.flush();
  return { jid: target, fingerprint: cert.fingerprint, closed: bus !== null };
}

/** The admin socket's routes for these commands (services/cli/src/admin-socket.ts). */
export function certRoutes(app: FastifyInstance, store: Store, config: CertConfig, log: Logger, bus: Bus<WireMessage> | undefined): void {
  app.post<{ Body: { force?: boolean } }>('/certs/ca', async (req) => caInit(store, config, log, req.body?.force === true));
  app.post<{ Params: { user: string }; Body: { days?: number; name?: string } }>('/users/:user/certs', async (req) => issue(store, config, log, req.params.user, req.body ?? {}));
  app.get<{ Params: { user: string } }>('/users/:user/certs', async (req) => list(store, config, req.params.user));
  app.delete<{ Params: { user: string; key: string } }>('/users/:user/certs/:key', async (req) => revoke(store, config, log, req.params.user, req.params.key, bus ?? null));
}

export interface CertIo {
  remote: boolean;
  call(method: string, path: string, body?: unknown): Promise<Record<string, unknown>>;
  withStore<T>(fn: (store: Store) => Promise<T>): Promise<T>;
  /** Cluster mode: the bus to publish a revocation on (null when NATS is not configured or down). */
  withBus<T>(fn: (bus: Bus<WireMessage> | null) => Promise<T>): Promise<T>;
  log: Logger;
}

export interface CertValues {
  days?: string;
  out?: string;
  name?: string;
  force?: boolean;
}

/** Runs `parley cert …`; writes its lines with `out`. */
export async function certCommand(config: ParleyConfig, args: Array<string | undefined>, values: CertValues, io: CertIo, out: (line: string) => void): Promise<number> {
  const [sub, arg, arg2] = args;
  if (sub === 'ca') {
    if (arg !== 'init') throw new UserError('use "parley cert ca init [--force]"');
    const force = values.force === true;
    const ca = io.remote ? ((await io.call('POST', '/certs/ca', { force })) as unknown as CaView) : await io.withStore((s) => caInit(s, config, io.log, force));
    out(ca.created ? `created the client CA of ${ca.domain}${config.certCaPassphrase ? ' (key encrypted with PARLEY_CERT_CA_PASSPHRASE)' : ''}` : `the client CA of ${ca.domain} exists already (--force makes a new one and ends its certificates)`);
    out(ca.certPem.trimEnd());
    return 0;
  }
  const path = (jid: string) => `/users/${encodeURIComponent(jid)}/certs`;
  switch (sub) {
    case 'issue': {
      if (!arg) throw new UserError(`parley cert issue needs a JID, e.g. alice@${config.domain}`);
      const days = values.days === undefined ? undefined : Number(values.days);
      if (days !== undefined && (!Number.isInteger(days) || days < 1 || days > 3650)) throw new UserError('--days must be a whole number from 1 to 3650');
      const body = { ...(days ? { days } : {}), ...(values.name ? { name: values.name } : {}) };
      const r = io.remote ? ((await io.call('POST', path(arg), body)) as unknown as IssuedView) : await io.withStore((s) => issue(s, config, io.log, arg, body));
      const dir = values.out ?? '.';
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      const base = join(dir, r.jid);
      writeFileSync(`${base}.key`, r.keyPem, { mode: 0o600 });
      writeFileSync(`${base}.crt`, r.certPem, { mode: 0o644 });
      out(`issued "${r.name}" for ${r.jid}, valid until ${r.notAfter}`);
      out(`fingerprint ${r.fingerprint}`);
      out(`certificate ${base}.crt, key ${base}.key (the key is shown nowhere else: hand it over safely)`);
      return 0;
    }
    case 'list': {
      if (!arg) throw new UserError('parley cert list needs a JID');
      const r = io.remote ? ((await io.call('GET', path(arg))) as unknown as { jid: string; certs: CertRow[] }) : await io.withStore((s) => list(s, config, arg));
      if (r.certs.length === 0) out(`no certificates for ${r.jid}`);
      for (const c of r.certs) out(`${c.fingerprint}  ${c.state.padEnd(8)}  ${c.source.padEnd(10)}  until ${c.notAfter}  ${c.name}`);
      return 0;
    }
    case 'revoke': {
      if (!arg || !arg2) throw new UserError('parley cert revoke needs a JID and a certificate name or fingerprint (see parley cert list)');
      const r = io.remote
        ? ((await io.call('DELETE', `${path(arg)}/${encodeURIComponent(arg2)}`)) as unknown as { jid: string; fingerprint: string; closed: boolean })
        : await io.withBus((bus) => io.withStore((s) => revoke(s, config, io.log, arg, arg2, bus)));
      out(`revoked ${r.fingerprint} of ${r.jid}${r.closed ? '; its sessions are closed' : ' (no bus reachable: sessions signed in with it stay until they end, new sign-ins are refused)'}`);
      return 0;
    }
    default:
      throw new UserError(`unknown cert command "${sub ?? ''}"; use ca init, issue, list or revoke`);
  }
}
