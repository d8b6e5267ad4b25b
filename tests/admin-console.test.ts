// The admin console in real headless Chromium (playwright-core driving Debian's /usr/bin/chromium;
// no browser is ever downloaded): an operator signs in, finds alice, kicks her slixmpp client off,
// watches the live figures, creates carol who then signs in with xmpp.js, and locks her out again.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { tokenRepo } from '@parley/admin';
import { type Browser, chromium, type Page } from 'playwright-core';
import { type TestServer, startTestServer } from './harness/server.ts';
import { SlixClient } from './harness/slix.ts';
import { XmppJsClient } from './harness/xmppjs.ts';

let server: TestServer;
let browser: Browser;
let page: Page;
const open: Array<{ stop(): Promise<void> }> = [];

before(async () => {
  server = await startTestServer();
  browser = await chromium.launch({ executablePath: process.env.PARLEY_TEST_CHROMIUM ?? '/usr/bin/chromium', headless: true, args: ['--no-sandbox'] });
  // The embedded server's certificate is self-signed.
  page = await (await browser.newContext({ ignoreHTTPSErrors: true })).newPage();
  page.setDefaultTimeout(15_000);
});

after(async () => {
  await Promise.all(open.map((c) => c.stop()));
  await browser?.close();
  await server?.stop();
});

const text = (selector: string) => page.locator(selector).textContent();
/** Waits until the element's text is exactly `want` (the console updates it from the API). */
const shows = (selector: string, want: string) => page.locator(`${selector}:text-is(${JSON.stringify(want)})`).waitFor();
/** Waits until the element's text matches `re` (a regular expression source). */
const matches = (selector: string, re: string) => page.locator(`${selector}:text-matches(${JSON.stringify(re)})`).waitFor();

test('an operator kicks alice, creates carol who signs in, and locks carol out, all from the console', { timeout: 120_000 }, async () => {
  const [aliceJid] = await server.addUsers(['alice', 'alice-pw'], ['bob', 'bob-pw']);
  const { token } = await tokenRepo(server.server.store.sql).create({ name: 'night shift', role: 'operator', createdBy: 'test' });
  const alice = await SlixClient.connect({ jid: `${aliceJid}/slix`, password: 'alice-pw', port: server.ports.c2s, mech: 'SCRAM-SHA-256' });
  open.push(alice);

  // Sign in with the token.
  await page.goto(`https://127.0.0.1:${server.ports.admin}/`);
  await page.fill('#token', token);
  await page.click('#sign-in button[type=submit]');
  await shows('#who', 'night shift (operator)');
  assert.equal(await page.locator('#delete').isVisible(), false, 'operators get no delete button');

  // Find alice and see her online session.
  await page.fill('#user-query', 'ali');
  await page.click('#user-search button');
  await page.click(`text=${aliceJid}`);
  await matches('#detail-state', '1 session\\(s\\) online');
  assert.equal(await page.locator('#users tbody tr').count(), 1, 'only alice matches "ali"');

  // Kick her slixmpp client with a reason; the client sees its stream closed.
  await page.click('nav button[data-tab=sessions]');
  await page.fill('#kick-reason', 'your client needs an update');
  await page.click(`button[aria-label="Kick ${alice.jid}"]`);
  const err = await alice.inbox.next((e) => e.event === 'stream_error', 'alice’s stream error');
  assert.deepEqual([err.condition, err.text], ['policy-violation', 'your client needs an update']);
  await alice.inbox.next((e) => e.event === 'disconnected', 'alice’s stream to close');
  await shows('#status', `kicked ${alice.jid}`);

  // Create carol in the console.
  await page.click('nav button[data-tab=users]');
  await page.fill('#new-username', 'carol');
  await page.fill('#new-user-password', 'carol-secret');
  await page.click('#create-user button[type=submit]');
  await shows('#status', `created carol@${server.domain}`);

  // The cluster view: nobody online now; it polls, so carol shows up while it stays open.
  await page.click('nav button[data-tab=cluster]');
  await shows('#fig-accounts', '3');
  await shows('#fig-online', '0');
  const carol = await XmppJsClient.connect({ service: `xmpp://127.0.0.1:${server.ports.c2s}`, domain: server.domain, username: 'carol', password: 'carol-secret', resource: 'web', fingerprint: server.server.fingerprint });
  open.push(carol);
  await shows('#fig-online', '1');
  assert.equal(await text('#edges tbody tr td:nth-child(2)'), '1', 'the edge holds her connection');

  // Lock carol: her session closes and the right password no longer works.
  await page.click('nav button[data-tab=users]');
  await page.fill('#user-query', 'carol');
  await page.click('#user-search button');
  await page.click(`text=carol@${server.domain}`);
  await page.click('#lock');
  assert.equal(await carol.streamError('carol’s stream error'), 'policy-violation');
  await matches('#detail-state', '^Locked');
  await assert.rejects(
    XmppJsClient.connect({ service: `xmpp://127.0.0.1:${server.ports.c2s}`, domain: server.domain, username: 'carol', password: 'carol-secret', fingerprint: server.server.fingerprint }),
    /not-authorized/,
  );

  // Every change is in the audit log, under the token's name.
  await page.click('nav button[data-tab=audit]');
  await page.locator('#audit tbody tr').nth(2).waitFor();
  const actions = await page.locator('#audit tbody tr td:nth-child(3)').allTextContents();
  assert.deepEqual(actions, ['user.lock', 'user.create', 'session.kick']);
});
