// SASL2 (XEP-0388), Bind2 (XEP-0386) and FAST (XEP-0484) byte by byte over a raw socket: the
// feature, the examples' exchanges, inline carbons and stream management, tokens issued, used,
// rotated, replayed, invalidated and revoked, and every bad input answered with its condition.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { deriveAllCredentials } from '@parley/sasl';
import { type Element, xml } from '@parley/xml';
import { flush } from './harness/flush.ts';
import { NS, newId, RawClient } from './harness/raw.ts';
import { BIND2, conditionOf, FAST, fastSasl2, SASL2, scramSasl2, secureRaw, tokenOf, userAgent } from './harness/sasl2.ts';
import { startTestServer, type TestServer, uniqueName } from './harness/server.ts';

const T = { timeout: 30_000 };
const SM = 'urn:xmpp:sm:3';
const CARBONS = 'urn:xmpp:carbons:2';
let ts: TestServer;

before(async () => {
  // This file fails logins from 127.0.0.1 on purpose, many times: the brute-force gate (tests/abuse-brute-force.test.ts) would slow them.
  ts = await startTestServer({ authFailuresBeforeDelay: 1000, authLockAfter: 1000 });
});
after(async () => ts.stop());

async function account(prefix: string): Promise<string> {
  const name = uniqueName(prefix);
  await ts.addUsers([name, `pw-${name}`]);
  return name;
}

const bind = (tag: string, ...inline: Element[]) => xml('bind', { xmlns: BIND2 }, xml('tag', null, tag), ...inline);
const requestToken = (mechanism = 'HT-SHA-256-NONE') => xml('request-token', { xmlns: FAST, mechanism });
const names = (el: Element | null | undefined) => (el?.getChildElements() ?? []).map((e) => `{${e.getNS()}}${e.name}`);

/** Password login with a token request; returns the token. */
async function tokenFor(user: string, uaId: string, mechanism = 'HT-SHA-256-NONE'): Promise<string> {
  const { c } = await secureRaw(ts.ports.c2s, ts.domain);
  const r = await scramSasl2(c, user, `pw-${user}`, [userAgent(uaId), requestToken(mechanism)]);
  const token = tokenOf(r);
  assert.ok(token, 'a token in <success/>');
  c.close();
  return token.token;
}

describe('SASL2 stream feature', () => {
  test('the secure stream offers <authentication/> with the SASL mechanisms, Bind2 inline features and FAST', T, async () => {
    const { c, features } = await secureRaw(ts.ports.c2s, ts.domain);
    const auth = features.getChild('authentication', SASL2);
    assert.ok(auth, 'XEP-0388 §2.1 feature');
    const classic = features.getChild('mechanisms', NS.sasl)!.getChildren('mechanism').map((m) => m.text());
    assert.deepEqual(auth.getChildren('mechanism').map((m) => m.text()), classic, 'the same mechanisms as RFC 6120 SASL');
    assert.ok(classic.includes('SCRAM-SHA-256-PLUS') && classic.includes('PLAIN'));
    const inline = auth.getChild('inline')!;
    const vars = inline.getChild('bind', BIND2)!.getChild('inline')!.getChildren('feature').map((f) => f.attr('var'));
    assert.ok(vars.includes(CARBONS) && vars.includes(SM), `Bind2 inline features: ${vars}`);
    const fastMechs = inline.getChild('fast', FAST)!.getChildren('mechanism').map((m) => m.text());
    assert.ok(fastMechs.includes('HT-SHA-256-NONE') && fastMechs.includes('HT-SHA-256-ENDP'), `FAST mechanisms: ${fastMechs}`);
    c.close();
  });

  test('before TLS (required) neither SASL nor SASL2 is offered, and <authenticate/> gets encryption-required', T, async () => {
    const c = await RawClient.open(ts.ports.c2s, ts.domain);
    const features = await c.startStream();
    assert.equal(features.getChild('authentication', SASL2), undefined);
    c.send(xml('authenticate', { xmlns: SASL2, mechanism: 'PLAIN' }, xml('initial-response', null, Buffer.from('\0x\0y').toString('base64'))));
    const failure = await c.next((e) => e.is('failure', SASL2), 'SASL2 failure');
    assert.deepEqual(names(failure), [`{${NS.sasl}}encryption-required`]);
    c.close();
  });
});

describe('SASL2 with Bind2 in one round trip', () => {
  test('SCRAM-SHA-256-PLUS with a user agent, a Bind2 tag, carbons and stream management: one success, no restart', T, async () => {
    const user = await account('bind');
    const { c } = await secureRaw(ts.ports.c2s, ts.domain);
    const r = await scramSasl2(c, user, `pw-${user}`, [userAgent('d4565fa7-4d72-4749-b3d3-740edbf87770', 'AwesomeXMPP', "Kiva's Phone"), bind('AwesomeXMPP', xml('enable', { xmlns: CARBONS }), xml('enable', { xmlns: SM }))], { plus: true });
    assert.equal(conditionOf(r), 'success');
    const jid = r.outcome.getChildText('authorization-identifier') ?? '';
    assert.match(jid, new RegExp(`^${user}@${ts.domain}/AwesomeXMPP\\.[0-9a-f]{12}$`), 'XEP-0388 §2.6.1: a full JID once bound');
    const bound = r.outcome.getChild('bound', BIND2);
    assert.deepEqual(names(bound), [`{${SM}}enabled`], 'XEP-0198 <enabled/> inside <bound/>');
    // The features that follow offer neither resource binding nor what was enabled inline.
    assert.equal(r.features?.getChild('bind', NS.bind), undefined);
    assert.equal(r.features?.getChild('sm', SM), undefined);
    c.jid = jid;
    // The stream is established: stanzas flow, and stream management counts them.
    await c.ping();
    c.send(xml('r', { xmlns: SM }));
    const a = await c.next((e) => e.is('a', SM), 'an SM answer');
    assert.equal(a.attr('h'), '1');
    c.close();
  });

  test('the resource is stable per user agent: the same installation replaces its stale session', T, async () => {
    const user = await account('stable');
    const first = await secureRaw(ts.ports.c2s, ts.domain);
    const r1 = await scramSasl2(first.c, user, `pw-${user}`, [userAgent('install-1'), bind('app')]);
    const second = await secureRaw(ts.ports.c2s, ts.domain);
    const r2 = await scramSasl2(second.c, user, `pw-${user}`, [userAgent('install-1'), bind('app')]);
    assert.equal(r2.outcome.getChildText('authorization-identifier'), r1.outcome.getChildText('authorization-identifier'));
    assert.equal(await first.c.streamError(), 'conflict', 'RFC 6120 §7.7.2.2: the newer session wins');
    const third = await secureRaw(ts.ports.c2s, ts.domain);
    const r3 = await scramSasl2(third.c, user, `pw-${user}`, [userAgent('install-2'), bind('app')]);
    assert.notEqual(r3.outcome.getChildText('authorization-identifier'), r1.outcome.getChildText('authorization-identifier'), 'another installation, another resource');
    await second.c.ping();
    second.c.close();
    third.c.close();
  });

  test('carbons enabled inline copy a message sent to another resource', T, async () => {
    const user = await account('carb');
    const peer = await account('peer');
    const { c } = await secureRaw(ts.ports.c2s, ts.domain);
    const r = await scramSasl2(c, user, `pw-${user}`, [userAgent('carbons-ua'), bind('app', xml('enable', { xmlns: CARBONS }))]);
    c.jid = r.outcome.getChildText('authorization-identifier') ?? '';
    c.send(xml('presence'));
    const other = await RawClient.login(ts.ports.c2s, user, `pw-${user}`, 'other');
    other.send(xml('presence'));
    const sender = await RawClient.login(ts.ports.c2s, peer, `pw-${peer}`, 'desk');
    await flush(c);
    await flush(other);
    sender.send(xml('message', { to: other.jid, type: 'chat', id: newId() }, xml('body', null, 'to the other resource')));
    const copy = await c.next((e) => e.is('message') && e.getChild('received', CARBONS) !== undefined, 'a received carbon');
    assert.equal(copy.attr('from'), `${user}@${ts.domain}`);
    for (const x of [c, other, sender]) x.close();
  });

  test('without Bind2 the success names the bare JID, and RFC 6120 binding follows without a stream restart', T, async () => {
    const user = await account('nobind');
    const { c } = await secureRaw(ts.ports.c2s, ts.domain);
    const r = await scramSasl2(c, user, `pw-${user}`, [userAgent('plain-ua')]);
    assert.equal(r.outcome.getChildText('authorization-identifier'), `${user}@${ts.domain}`);
    assert.ok(r.features?.getChild('bind', NS.bind), 'the features offer resource binding');
    assert.equal(await c.bind('classic'), `${user}@${ts.domain}/classic`);
    await c.ping();
    c.close();
  });

  test('PLAIN works through SASL2 over TLS, answering with the bare JID', T, async () => {
    const user = await account('plain');
    const { c } = await secureRaw(ts.ports.c2s, ts.domain);
    c.send(xml('authenticate', { xmlns: SASL2, mechanism: 'PLAIN' }, xml('initial-response', null, Buffer.from(`\0${user}\0pw-${user}`).toString('base64')), userAgent('plain-1')));
    const success = await c.next((e) => e.getNS() === SASL2, 'PLAIN outcome');
    assert.equal(success.name, 'success');
    assert.equal(success.getChildText('authorization-identifier'), `${user}@${ts.domain}`);
    await c.next((e) => e.is('features', NS.stream), 'features');
    c.close();
  });

  test('the sign-in history records the user agent', T, async () => {
    const user = await account('hist');
    const { c } = await secureRaw(ts.ports.c2s, ts.domain);
    await scramSasl2(c, user, `pw-${user}`, [userAgent('hist-ua-1', 'Conversations', 'Pixel'), bind('app')]);
    await c.ping();
    let recent = await ts.server.store.loginHistory.recent(user, ts.domain);
    for (let i = 0; i < 50 && recent.length === 0; i++) {
      await new Promise((res) => setTimeout(res, 20)); // the record is written after the success is sent
      recent = await ts.server.store.loginHistory.recent(user, ts.domain);
    }
    assert.equal(recent[0]?.client, 'Conversations on Pixel [hist-ua-1]');
    assert.match(recent[0]?.resource ?? '', /^app\./);
    c.close();
  });
});

describe('SASL2 failures', () => {
  test('a wrong password is not-authorized in a SASL2 <failure/>, and the client may try again on the same stream', T, async () => {
    const user = await account('wrong');
    const { c } = await secureRaw(ts.ports.c2s, ts.domain);
    const bad = await scramSasl2(c, user, 'not-the-password', [userAgent('w')]);
    assert.equal(bad.outcome.name, 'failure');
    assert.deepEqual(names(bad.outcome), [`{${NS.sasl}}not-authorized`]);
    const good = await scramSasl2(c, user, `pw-${user}`, [userAgent('w'), bind('app')]);
    assert.equal(conditionOf(good), 'success');
    c.close();
  });

  test('an unknown mechanism is invalid-mechanism, bad base64 incorrect-encoding, and <abort/> aborted', T, async () => {
    const { c } = await secureRaw(ts.ports.c2s, ts.domain);
    c.send(xml('authenticate', { xmlns: SASL2, mechanism: 'BLURDYBLOOP' }, xml('initial-response', null, 'SSBzaG91bGQgbWFrZSB0aGlzIGEgY29tcGV0aXRpb24=')));
    assert.deepEqual(names(await c.next((e) => e.is('failure', SASL2), 'failure 1')), [`{${NS.sasl}}invalid-mechanism`]);
    c.send(xml('authenticate', { xmlns: SASL2, mechanism: 'PLAIN' }, xml('initial-response', null, '***')));
    assert.deepEqual(names(await c.next((e) => e.is('failure', SASL2), 'failure 2')), [`{${NS.sasl}}incorrect-encoding`]);
    c.close();
    const second = await secureRaw(ts.ports.c2s, ts.domain);
    second.c.send(xml('authenticate', { xmlns: SASL2, mechanism: 'SCRAM-SHA-256' }, xml('initial-response', null, Buffer.from('n,,n=x,r=abc').toString('base64'))));
    await second.c.next((e) => e.is('challenge', SASL2), 'challenge');
    second.c.send(xml('abort', { xmlns: SASL2 }));
    assert.deepEqual(names(await second.c.next((e) => e.is('failure', SASL2), 'failure 3')), [`{${NS.sasl}}aborted`]);
    second.c.close();
  });

  test('a stanza during a SASL2 exchange closes the stream (XEP-0388 §2.5)', T, async () => {
    const { c } = await secureRaw(ts.ports.c2s, ts.domain);
    c.send(xml('authenticate', { xmlns: SASL2, mechanism: 'SCRAM-SHA-256' }, xml('initial-response', null, Buffer.from('n,,n=x,r=abc').toString('base64'))));
    await c.next((e) => e.is('challenge', SASL2), 'challenge');
    c.send(xml('message', { to: 'someone@example.org' }, xml('body', null, 'hi')));
    assert.equal(await c.streamError(), 'not-authorized');
  });

  test('a request-token for a mechanism not offered is malformed-request', T, async () => {
    const user = await account('badreq');
    const { c } = await secureRaw(ts.ports.c2s, ts.domain);
    const r = await scramSasl2(c, user, `pw-${user}`, [userAgent('x'), requestToken('HT-SHA-256-UNIQ')]);
    assert.deepEqual(names(r.outcome).slice(0, 1), [`{${NS.sasl}}malformed-request`]);
    c.close();
  });
});

describe('FAST tokens', () => {
  test('a token is issued on request, then logs in with HT-SHA-256-NONE and Bind2 in one round trip', T, async () => {
    const user = await account('fast');
    const token = await tokenFor(user, 'fast-ua');
    const { c } = await secureRaw(ts.ports.c2s, ts.domain);
    const r = await fastSasl2(c, user, token, 'HT-SHA-256-NONE', [userAgent('fast-ua'), bind('app'), xml('fast', { xmlns: FAST, count: '1' })]);
    assert.equal(conditionOf(r), 'success');
    assert.match(r.outcome.getChildText('authorization-identifier') ?? '', /\/app\./);
    assert.equal(tokenOf(r), null, 'a fresh token is not rotated unasked');
    await c.ping();
    c.close();
  });

  test('a token bound to the channel (HT-SHA-256-ENDP) works only with that mechanism', T, async () => {
    const user = await account('endp');
    const token = await tokenFor(user, 'endp-ua', 'HT-SHA-256-ENDP');
    const { c } = await secureRaw(ts.ports.c2s, ts.domain);
    const wrong = await fastSasl2(c, user, token, 'HT-SHA-256-NONE', [userAgent('endp-ua')]);
    assert.equal(conditionOf(wrong), 'not-authorized', 'XEP-0484 §3.4: bound to its mechanism');
    const right = await fastSasl2(c, user, token, 'HT-SHA-256-ENDP', [userAgent('endp-ua'), bind('app')]);
    assert.equal(conditionOf(right), 'success');
    c.close();
  });

  test('HT-SHA-256-EXPR binds the token proof to this TLS connection (tls-exporter)', T, async () => {
    const user = await account('expr');
    const token = await tokenFor(user, 'expr-ua', 'HT-SHA-256-EXPR');
    const { c } = await secureRaw(ts.ports.c2s, ts.domain);
    const r = await fastSasl2(c, user, token, 'HT-SHA-256-EXPR', [userAgent('expr-ua'), bind('app')]);
    assert.equal(conditionOf(r), 'success');
    c.close();
  });

  test('a wrong token, another client id, and a replayed count are not-authorized', T, async () => {
    const user = await account('bad');
    const token = await tokenFor(user, 'bad-ua');
    const attempt = async (tok: string, ua: string, count?: string) => {
      const { c } = await secureRaw(ts.ports.c2s, ts.domain);
      const r = await fastSasl2(c, user, tok, 'HT-SHA-256-NONE', [userAgent(ua), xml('fast', { xmlns: FAST, count })]);
      c.close();
      return conditionOf(r);
    };
    assert.equal(await attempt(`${token.slice(0, -4)}AAAA`, 'bad-ua'), 'not-authorized');
    assert.equal(await attempt(token, 'someone-else'), 'not-authorized', 'tokens belong to one client');
    assert.equal(await attempt(token, 'bad-ua', '5'), 'success');
    assert.equal(await attempt(token, 'bad-ua', '5'), 'not-authorized', 'XEP-0484 §3.4: a count already processed is a replay');
    assert.equal(await attempt(token, 'bad-ua', '6'), 'success');
  });

  test('rotation: a new token is requested with the old one, the old works until the new one is used, then never', T, async () => {
    const user = await account('rot');
    const old = await tokenFor(user, 'rot-ua');
    const login = async (tok: string, extra: Element[] = []) => {
      const { c } = await secureRaw(ts.ports.c2s, ts.domain);
      const r = await fastSasl2(c, user, tok, 'HT-SHA-256-NONE', [userAgent('rot-ua'), ...extra]);
      c.close();
      return r;
    };
    const rotated = tokenOf(await login(old, [requestToken()]));
    assert.ok(rotated && rotated.token !== old);
    assert.equal(conditionOf(await login(old)), 'success', 'XEP-0484 §3.5: the old token stays valid until the new one is used');
    assert.equal(conditionOf(await login(rotated.token)), 'success');
    assert.equal(conditionOf(await login(old)), 'not-authorized', 'using the new token invalidated the old one');
  });

  test('invalidate logs the token out; revocation by the operator and a password change end every token', T, async () => {
    const user = await account('rev');
    const login = async (tok: string, ua: string, extra: Element[] = []) => {
      const { c } = await secureRaw(ts.ports.c2s, ts.domain);
      const r = await fastSasl2(c, user, tok, 'HT-SHA-256-NONE', [userAgent(ua), ...extra]);
      c.close();
      return conditionOf(r);
    };
    const a = await tokenFor(user, 'ua-a');
    assert.equal(await login(a, 'ua-a', [xml('fast', { xmlns: FAST, invalidate: 'true' })]), 'success');
    assert.equal(await login(a, 'ua-a'), 'not-authorized', 'XEP-0484 §3.6');
    const b = await tokenFor(user, 'ua-b');
    assert.equal(await ts.server.store.fastTokens.revoke(user, ts.domain), 1);
    assert.equal(await login(b, 'ua-b'), 'not-authorized', 'revoked');
    const c = await tokenFor(user, 'ua-c');
    await ts.server.store.users.setCredentials(user, ts.domain, await deriveAllCredentials('new-pw', 4096));
    assert.equal(await login(c, 'ua-c'), 'not-authorized', 'a new password ends every token');
  });

  test('an expired token is credentials-expired (XEP-0484 §4.2)', T, async () => {
    const user = await account('exp');
    const token = await tokenFor(user, 'exp-ua');
    await ts.server.store.sql.query(`UPDATE fast_tokens SET expires_at = now() - interval '1 minute' WHERE username = $1`, [user]);
    const { c } = await secureRaw(ts.ports.c2s, ts.domain);
    const r = await fastSasl2(c, user, token, 'HT-SHA-256-NONE', [userAgent('exp-ua')]);
    assert.equal(conditionOf(r), 'credentials-expired');
    c.close();
  });

  test('a token near the end of its life is rotated in the success without being asked', T, async () => {
    const user = await account('near');
    const token = await tokenFor(user, 'near-ua');
    await ts.server.store.sql.query(`UPDATE fast_tokens SET expires_at = now() + interval '1 hour' WHERE username = $1`, [user]);
    const { c } = await secureRaw(ts.ports.c2s, ts.domain);
    const r = await fastSasl2(c, user, token, 'HT-SHA-256-NONE', [userAgent('near-ua')]);
    assert.equal(conditionOf(r), 'success');
    assert.ok(tokenOf(r), 'XEP-0484 §3.5: server-initiated rotation');
    c.close();
  });
});
