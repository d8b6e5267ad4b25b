// XEP-0077 in-band registration with a real client (slixmpp's xep_0077 on a stream of its own, before
// authentication) on a server where registration is on and invite-only: invitation tokens in the form
// or in a XEP-0445 <preauth/>, a user's invitation that makes the new account her mutual contact at its
// first login, the password policy, look-alike names, password change, account removal and the
// per-address limit; malformed requests over a raw socket.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { createInvitation } from '@parley/admin';
import { INVITE_NODE } from '@parley/extensions';
import { type Element, xml } from '@parley/xml';
import { castPerFile } from './harness/cast.ts';
import { flush } from './harness/flush.ts';
import { NS, RawClient } from './harness/raw.ts';
import { slixProfile } from './harness/profile.ts';
import { SlixClient } from './harness/slix.ts';

const T = { timeout: 60_000 };
// The other tests spend about 15 attempts of this budget (every submission counts), so the last one reaches it in a few.
const PER_ADDRESS = 16;
const cast = castPerFile({ registrationEnabled: true, registrationUserInvites: true, registrationPerAddressPerHour: PER_ADDRESS, passwordMinLength: 10 });

interface Registered {
  ok: boolean;
  condition?: string;
  type?: string;
  text?: string;
  fields: string[];
}

let registrar: SlixClient | undefined;
after(() => registrar?.stop());

/** slixmpp registers `username` on a new stream (the driver's `ibr_register`), signing in to nothing. */
async function register(username: string, password: string, opts: { token?: string; via?: 'form' | 'preauth' | 'legacy' } = {}): Promise<Registered> {
  registrar ??= await SlixClient.start('slix_driver.py', 'slixmpp registrar');
  const s = cast.server();
  return (await registrar.command({ cmd: 'ibr_register', domain: s.domain, port: s.ports.c2s, username, password, via: opts.via ?? 'form', token: opts.token }, 30_000)) as unknown as Registered;
}

async function accountInvitation(inviter?: string) {
  const s = cast.server();
  return createInvitation(s.server.store, { domain: s.domain, scramIterations: 4096 }, inviter, { ttlMs: 3_600_000, createdBy: 'test', account: true });
}

/** Whether slixmpp can sign in (its driver is stopped either way). */
async function canSignIn(jid: string, password: string): Promise<boolean> {
  const c = await SlixClient.start('slix_driver.py', `slixmpp ${jid}`);
  try {
    await c.login({ jid: `${jid}/probe`, password, port: cast.server().ports.c2s }, { mech: 'SCRAM-SHA-256' });
    return true;
  } catch {
    return false;
  } finally {
    await c.stop();
  }
}

let n = 0;
const fresh = (prefix: string) => `${prefix}${++n}x`;
const PASSWORD = 'violet-kettle-harbour';

describe('in-band registration (XEP-0077), invite-only', () => {
  test('a newcomer registers with an account invitation in the form and signs in; the token is spent; no token is not-allowed', T, async () => {
    const inv = await accountInvitation();
    assert.equal(inv.uri, `xmpp:${cast.server().domain}?register;preauth=${inv.token}`);
    const name = fresh('newcomer');
    const r = await register(name, PASSWORD, { token: inv.token });
    assert.deepEqual([r.ok, r.fields.sort()], [true, ['FORM_TYPE', 'password', 'token', 'username']]);
    assert.equal(await canSignIn(`${name}@${cast.server().domain}`, PASSWORD), true);

    const again = await register(fresh('second'), PASSWORD, { token: inv.token });
    assert.deepEqual([again.ok, again.condition], [false, 'forbidden'], 'a used token');
    const none = await register(fresh('tokenless'), PASSWORD);
    assert.deepEqual([none.ok, none.condition], [false, 'not-allowed']);
  });

  test('XEP-0445: the token in a <preauth/> first, then the legacy fields; an unknown token is item-not-found', T, async () => {
    const inv = await accountInvitation();
    const r = await register(fresh('preauth'), PASSWORD, { token: inv.token, via: 'preauth' });
    assert.equal(r.ok, true);
    const bad = await register(fresh('badtoken'), PASSWORD, { token: 'not-a-token', via: 'preauth' });
    assert.deepEqual([bad.ok, bad.condition], [false, 'item-not-found']);
    const legacyOnly = await register(fresh('legacy'), PASSWORD, { via: 'legacy' });
    assert.deepEqual([legacyOnly.ok, legacyOnly.condition], [false, 'not-allowed']);
  });

  test('an invitation a user mints with the XEP-0401 command: the new account and she are mutual contacts at its first login, without asking her', T, async () => {
    const a = await cast.account('inviter');
    const alice = await cast.slix(a);
    // XEP-0401 §5.1: she mints it herself with the ad-hoc command; with user invitations on, it carries ibr=y.
    const minted = await slixProfile(alice).command(INVITE_NODE);
    assert.equal(minted.status, 'completed');
    const uri = minted.fields?.uri?.[0] ?? '';
    assert.match(uri, new RegExp(`^xmpp:${a.jid}\\?roster;preauth=[A-Za-z0-9_-]{22};ibr=y$`));
    const name = fresh('invitee');
    assert.equal((await register(name, PASSWORD, { token: /preauth=([^;]+)/.exec(uri)?.[1] })).ok, true);
    const jid = `${name}@${cast.server().domain}`;
    const newbie = await SlixClient.connect({ jid: `${jid}/phone`, password: PASSWORD, port: cast.server().ports.c2s, mech: 'SCRAM-SHA-256' });
    await alice.presence((p) => p.type === 'available' && p.from.startsWith(`${jid}/`), 'the newcomer’s presence');
    await newbie.presence((p) => p.type === 'available' && p.from.startsWith(`${a.jid}/`), 'the inviter’s presence');
    assert.deepEqual((await alice.getRoster()).map((i) => [i.jid, i.subscription]), [[jid, 'both']]);
    assert.deepEqual((await newbie.getRoster()).map((i) => [i.jid, i.subscription]), [[a.jid, 'both']]);
    await flush(alice);
    assert.ok(!(await alice.traffic()).received.some((s) => s.includes('type="subscribe"')), 'she was never asked');
    await newbie.stop();
  });

  test('weak passwords are not-acceptable; a taken or look-alike name is conflict, without naming the other account', T, async () => {
    const inv = await accountInvitation();
    const short = await register(fresh('shorty'), 'abc12', { token: inv.token });
    assert.deepEqual([short.condition, /too short/.test(short.text ?? '')], ['not-acceptable', true]);
    const common = await register(fresh('common'), 'password1234', { token: inv.token });
    assert.deepEqual([common.condition, /most common/.test(common.text ?? '')], ['not-acceptable', true]);
    const existing = await cast.account('lookout');
    const taken = await register(existing.user, PASSWORD, { token: inv.token });
    assert.deepEqual([taken.condition, taken.text], ['conflict', 'this username is taken']);
    // A Cyrillic "о" (U+043E) for the Latin "o": the same UTS #39 skeleton.
    const lookalike = await register(existing.user.replace('o', '\u043e'), PASSWORD, { token: inv.token });
    assert.equal(lookalike.condition, 'conflict');
    assert.match(lookalike.text ?? '', /looks like an existing one/);
    assert.ok(!(lookalike.text ?? '').includes(existing.user), 'the other account is not named');
    const invalid = await register('two words', PASSWORD, { token: inv.token });
    assert.equal(invalid.condition, 'not-acceptable');
    // Refusals spent nothing: the token still registers an account.
    assert.equal((await register(fresh('afterall'), PASSWORD, { token: inv.token })).ok, true);
  });

  test('signed in, she sees she is registered, changes her password (policy applies) and removes her account; her other session is closed', T, async () => {
    const a = await cast.account('leaver');
    const me = await cast.slix(a);
    const status = await me.command({ cmd: 'ibr_status' });
    assert.deepEqual([status.registered, status.username], [true, a.user]);
    const weak = await me.command({ cmd: 'ibr_change_password', password: 'qwertyuiop' });
    assert.deepEqual([weak.ok, weak.condition], [false, 'not-acceptable']);
    assert.equal((await me.command({ cmd: 'ibr_change_password', password: PASSWORD })).ok, true);
    const port = cast.server().ports.c2s;
    assert.equal(await canSignIn(a.jid, a.password), false, 'the old password no longer works');
    const other = await RawClient.login(port, a.user, PASSWORD, 'other', cast.server().domain);

    assert.equal((await me.command({ cmd: 'ibr_cancel' })).ok, true);
    const err = await other.next((e) => e.name === 'stream:error', 'the other session’s stream error');
    assert.ok(err.getChild('not-authorized', NS.streams), 'XEP-0077 §3.2: not-authorized');
    await other.closed;
    await me.inbox.next((e) => e.event === 'stream_error' && e.condition === 'not-authorized', 'her own stream is closed too');
    assert.equal(await cast.server().server.store.users.exists(a.user, cast.server().domain), false);
    assert.equal(await canSignIn(a.jid, PASSWORD), false, 'the account is gone');
  });

  test('malformed requests over a raw socket get the right errors and the stream stays usable', T, async () => {
    const c = await RawClient.open(cast.server().ports.c2s, cast.server().domain);
    try {
      await c.startStream();
      const features = await c.starttls();
      assert.ok(features.getChild('register', 'http://jabber.org/features/iq-register'), 'the XEP-0077 stream feature');
      assert.ok(features.getChild('register', 'urn:xmpp:invite'), 'the XEP-0445 feature');
      const ask = async (id: string, payload: string) => {
        c.send(`<iq type='set' id='${id}'>${payload}</iq>`);
        return c.next((e) => e.attr('id') === id, id);
      };
      const cond = (e: Element) => e.getChild('error')?.getChildElements()[0]?.name;
      assert.equal(cond(await ask('empty', "<query xmlns='jabber:iq:register'/>")), 'not-allowed', 'no token, invite-only');
      assert.equal(cond(await ask('remove', "<query xmlns='jabber:iq:register'><remove/></query>")), 'not-authorized', 'removal needs a signed-in account');
      assert.equal(cond(await ask('huge', `<preauth xmlns='urn:xmpp:pars:0' token='${'x'.repeat(300)}'/>`)), 'item-not-found');
      assert.equal(cond(await ask('notoken', "<preauth xmlns='urn:xmpp:pars:0'/>")), 'item-not-found');
      const inv = await accountInvitation();
      assert.equal((await ask('pre', `<preauth xmlns='urn:xmpp:pars:0' token='${inv.token}'/>`)).attr('type'), 'result');
      assert.equal(cond(await ask('nofields', "<query xmlns='jabber:iq:register'><username/></query>")), 'not-acceptable', 'no password');
      assert.equal((await ask('ok', `<query xmlns='jabber:iq:register'><username>${fresh('raw')}</username><password>${PASSWORD}</password></query>`)).attr('type'), 'result');
      // Anything but a registration IQ before authentication still closes the stream (RFC 6120 §6.4).
      c.send(xml('message', { to: 'x@y' }, xml('body', {}, 'hi')));
      const err = await c.next((e) => e.name === 'stream:error', 'stream error');
      assert.ok(err.getChild('not-authorized', NS.streams));
    } finally {
      c.close();
    }
  });

  test('before TLS the feature is not offered and a registration IQ closes the stream', T, async () => {
    const c = await RawClient.open(cast.server().ports.c2s, cast.server().domain);
    try {
      const features = await c.startStream();
      assert.equal(features.getChild('register', 'http://jabber.org/features/iq-register'), undefined);
      c.send("<iq type='get' id='g'><query xmlns='jabber:iq:register'/></iq>");
      const err = await c.next((e) => e.name === 'stream:error', 'stream error');
      assert.ok(err.getChild('not-authorized', NS.streams));
    } finally {
      c.close();
    }
  });

  test('more attempts from one address than the limit get resource-constraint (wait)', T, async () => {
    let refused: Registered | undefined;
    for (let i = 0; i <= PER_ADDRESS && !refused; i++) {
      const r = await register(fresh('flood'), PASSWORD, { token: 'guess' });
      if (r.condition === 'resource-constraint') refused = r;
      else assert.equal(r.condition, 'forbidden');
    }
    assert.ok(refused, `refused within ${PER_ADDRESS + 1} attempts`);
    assert.equal(refused.type, 'wait');
    assert.match(refused.text ?? '', /try again in \d+ s/);
  });
});
