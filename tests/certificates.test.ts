// Certificate accounts (docs/certificates.md) with real clients: slixmpp signs in with SASL EXTERNAL on
// a TLS client certificate (XEP-0178 §2); revoked, disabled and foreign certificates are refused;
// xmpp.js manages an account's certificates (XEP-0257) and gets one for a CSR (XEP-0050 command).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { createLogger } from '@parley/log';
import { createClientCa, issueClientCert } from '@parley/pki';
import { caInit, issue, revoke } from '../services/cli/src/certs.ts';
import { type Account, castPerFile } from './harness/cast.ts';
import { SlixClient } from './harness/slix.ts';
import { xml } from './harness/xmppjs.ts';

const T = { timeout: 60_000 };
const NS = 'urn:xmpp:saslcert:1';
const cast = castPerFile();
const log = createLogger({ level: 'warn' });
const dir = mkdtempSync(join(tmpdir(), 'parley-certs-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function files(name: string, certPem: string, keyPem: string) {
  const certfile = join(dir, `${name}.crt`);
  const keyfile = join(dir, `${name}.key`);
  writeFileSync(certfile, certPem);
  writeFileSync(keyfile, keyPem, { mode: 0o600 });
  return { certfile, keyfile };
}

/** slixmpp over STARTTLS with only a client certificate (no password), insisting on EXTERNAL. */
async function slixWithCert(a: Account, f: { certfile: string; keyfile: string }, opts: { directTls?: boolean } = {}): Promise<SlixClient> {
  const c = await SlixClient.start('slix_driver.py', `slixmpp ${a.user} (certificate)`);
  try {
    const port = opts.directTls ? cast.server().ports.c2sTls : cast.server().ports.c2s;
    await c.login({ jid: `${a.jid}/cert`, password: '', port }, { mech: 'EXTERNAL', ...f, direct_tls: opts.directTls === true });
  } catch (err) {
    await c.stop();
    throw err;
  }
  return c;
}

async function issued(a: Account, name: string) {
  const { store, config } = cast.server().server;
  await caInit(store, config, log, false);
  const r = await issue(store, config, log, a.jid, { name });
  return { ...r, ...files(`${a.user}-${name}`, r.certPem, r.keyPem) };
}

/** A self-signed certificate and key made by the client (XEP-0257 §2.1). */
function selfSigned(name: string) {
  const keyfile = join(dir, `${name}.key`);
  const certfile = join(dir, `${name}.crt`);
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '30', '-keyout', keyfile, '-out', certfile, '-subj', `/CN=${name}`], { stdio: 'ignore' });
  const der = execFileSync('openssl', ['x509', '-in', certfile, '-outform', 'DER']);
  return { keyfile, certfile, b64: der.toString('base64') };
}

describe('certificate accounts with real clients', () => {
  test('slixmpp signs in with an issued certificate over SASL EXTERNAL and exchanges messages', T, async () => {
    const a = await cast.account('certalice');
    const b = await cast.account('certbob');
    const cert = await issued(a, 'laptop');
    const alice = await slixWithCert(a, cert);
    assert.equal(alice.mechanism, 'EXTERNAL');
    // The account the certificate was issued for (slixmpp leaves the resource to the server here).
    assert.ok(alice.jid.startsWith(`${a.jid}/`), alice.jid);
    const bob = await cast.xmppjs(b);
    await alice.sendMessage(`${b.jid}/js`, 'signed in without a password');
    assert.equal((await bob.message(a.jid, 'the message from the certificate account')).getChildText('body'), 'signed in without a password');
    await bob.send(xml('message', { to: alice.jid, type: 'chat' }, xml('body', {}, 'welcome')));
    assert.equal((await alice.message((m) => m.from.startsWith(b.jid), 'the answer')).body, 'welcome');
    // Direct TLS (XEP-0368) asks for the certificate too.
    const again = await slixWithCert(a, cert, { directTls: true });
    assert.equal(again.mechanism, 'EXTERNAL');
    await again.stop();
    await alice.stop();
    // The sign-in history records certificate sign-ins as it does password ones (docs/security.md).
    const history = await cast.server().server.store.loginHistory.recent(a.user, cast.server().domain, 5);
    assert.deepEqual(history.map((h) => [h.mechanism, h.success]), [['EXTERNAL', true], ['EXTERNAL', true]]);
  });

  test('a revoked certificate closes its session at once and signs in no more', T, async () => {
    const a = await cast.account('certrevoked');
    const cert = await issued(a, 'phone');
    const alice = await slixWithCert(a, cert);
    const { store, config, bus } = cast.server().server;
    await revoke(store, config, log, a.jid, 'phone', bus);
    const error = await alice.inbox.next((e) => e.event === 'stream_error', 'the stream error of the revoked session');
    assert.equal(error.condition, 'policy-violation');
    await alice.stop();
    await assert.rejects(slixWithCert(a, cert), /no usable SASL mechanism/);
  });

  test('a certificate from another CA for the same JID is refused', T, async () => {
    const a = await cast.account('certforeign');
    await issued(a, 'real');
    const other = await createClientCa(cast.server().domain, { days: 30, passphrase: null });
    const forged = await issueClientCert(other, a.jid, { days: 30, passphrase: null });
    await assert.rejects(slixWithCert(a, files('forged', forged.certPem, forged.keyPem!)), /no usable SASL mechanism/);
    // The password still works, and the failed attempt left the account usable.
    const pw = await cast.slix(a);
    await pw.ping();
  });

  test('an account registers its own certificate (XEP-0257), lists it, signs in with it and revokes it', T, async () => {
    const a = await cast.account('certowner');
    const owner = await cast.xmppjs(a);
    const mine = selfSigned('certowner-tablet');
    await owner.iq(xml('iq', { type: 'set' }, xml('append', { xmlns: NS }, xml('name', {}, 'tablet'), xml('x509cert', {}, mine.b64))));
    await assert.rejects(
      owner.iq(xml('iq', { type: 'set' }, xml('append', { xmlns: NS }, xml('name', {}, 'tablet'), xml('x509cert', {}, selfSigned('certowner-other').b64)))),
      (e: { condition?: string }) => e.condition === 'conflict',
    );
    await assert.rejects(owner.iq(xml('iq', { type: 'set' }, xml('append', { xmlns: NS }, xml('name', {}, 'junk'), xml('x509cert', {}, 'AAAA')))), (e: { condition?: string }) => e.condition === 'bad-request');
    const items = await owner.iq(xml('iq', { type: 'get' }, xml('items', { xmlns: NS })));
    const listed = items.getChild('items', NS)!.getChildren('item');
    assert.deepEqual(listed.map((i) => [i.getChildText('name'), i.getChildText('x509cert')]), [['tablet', mine.b64]]);

    const tablet = await slixWithCert(a, mine);
    assert.equal(tablet.mechanism, 'EXTERNAL');
    await owner.iq(xml('iq', { type: 'set' }, xml('revoke', { xmlns: NS }, xml('name', {}, 'tablet'))));
    const error = await tablet.inbox.next((e) => e.event === 'stream_error', 'the revoked tablet closed');
    assert.equal(error.condition, 'policy-violation');
    await tablet.stop();
    const after = await owner.iq(xml('iq', { type: 'get' }, xml('items', { xmlns: NS })));
    assert.equal(after.getChild('items', NS)!.getChildren('item').length, 0);
    await assert.rejects(owner.iq(xml('iq', { type: 'set' }, xml('revoke', { xmlns: NS }, xml('name', {}, 'tablet')))), (e: { condition?: string }) => e.condition === 'item-not-found');
  });

  test('a disabled certificate keeps its session but signs in no more; a no-cert-management session may not manage', T, async () => {
    const a = await cast.account('certdisabled');
    const owner = await cast.xmppjs(a);
    const bot = selfSigned('certdisabled-bot');
    await owner.iq(xml('iq', { type: 'set' }, xml('append', { xmlns: NS }, xml('name', {}, 'bot'), xml('x509cert', {}, bot.b64), xml('no-cert-management'))));
    const session = await slixWithCert(a, bot);
    // §2.1: signed in with a <no-cert-management/> certificate, it cannot change certificates.
    await assert.rejects(session.command({ cmd: 'saslcert_disable', name: 'bot' }), (e: { condition?: string }) => e.condition === 'forbidden');
    await owner.iq(xml('iq', { type: 'set' }, xml('disable', { xmlns: NS }, xml('name', {}, 'bot'))));
    await session.ping();
    await assert.rejects(slixWithCert(a, bot), /no usable SASL mechanism/);
    await session.stop();
  });

  test('an account gets a certificate for its CSR from the ad-hoc command and signs in with it', T, async () => {
    const a = await cast.account('certcsr');
    await caInit(cast.server().server.store, cast.server().server.config, log, false);
    const keyfile = join(dir, 'certcsr.key');
    const csrfile = join(dir, 'certcsr.csr');
    execFileSync('openssl', ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', keyfile, '-out', csrfile, '-subj', '/CN=someone-else'], { stdio: 'ignore' });
    const owner = await cast.xmppjs(a);
    const node = 'urn:parley:certs:request';
    const first = await owner.iq(xml('iq', { type: 'set', to: cast.server().domain }, xml('command', { xmlns: 'http://jabber.org/protocol/commands', node, action: 'execute' })));
    const sessionid = first.getChild('command')!.attrs.sessionid as string;
    const lines = readFileSync(csrfile, 'utf8').trimEnd().split('\n');
    const done = await owner.iq(
      xml(
        'iq',
        { type: 'set', to: cast.server().domain },
        xml(
          'command',
          { xmlns: 'http://jabber.org/protocol/commands', node, sessionid, action: 'complete' },
          xml('x', { xmlns: 'jabber:x:data', type: 'submit' }, xml('field', { var: 'name' }, xml('value', {}, 'desktop')), xml('field', { var: 'csr' }, ...lines.map((l) => xml('value', {}, l)))),
        ),
      ),
    );
    const form = done.getChild('command')!.getChild('x', 'jabber:x:data')!;
    const pem = form.getChildren('field').find((f) => f.attrs.var === 'certificate')!.getChildren('value').map((v) => v.text()).join('\n');
    const certfile = join(dir, 'certcsr.crt');
    writeFileSync(certfile, `${pem}\n`);
    const desktop = await slixWithCert(a, { certfile, keyfile });
    assert.ok(desktop.jid.startsWith(`${a.jid}/`), desktop.jid);
    await desktop.stop();
  });
});
