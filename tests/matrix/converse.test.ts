// Client matrix (issue 14): Converse.js, the web client, from npm's prebuilt dist/, in a real headless
// Chromium over WebSocket (RFC 7395). Default settings: only websocket_url is configured (the
// page's one line a site owner writes), and the user logs in through Converse's own login form.
// Everything is served offline by this test; requests elsewhere are refused and listed.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, offlinePage, type StaticSite, serveStatic } from '../harness/browser.ts';
import { startTestServer, type TestServer } from '../harness/server.ts';
import { type Account, type ClientUnderTest, converse, embedded } from './conversation.ts';
import { formatRequests } from './requests.ts';

const here = dirname(fileURLToPath(import.meta.url));
// The prebuilt bundle and the assets it loads at run time, all in the package's dist/.
const converseDist = dirname(createRequire(import.meta.url).resolve('converse.js/dist/converse.min.js'));

let ts: TestServer;
let site: StaticSite;
let browser: Browser;
before(async () => {
  [ts, site, browser] = await Promise.all([
    startTestServer(),
    serveStatic({ '/': join(here, '../browser/converse.html'), '/converse-page.js': join(here, '../browser/converse-page.js') }, { '/dist': converseDist }),
    launchChromium(),
  ]);
});
after(async () => {
  await browser.close();
  await Promise.all([site.close(), ts.stop()]);
});

interface Parley {
  start(url: string): void;
  session(): Promise<string>;
  traffic(): { sent: string[]; received: string[] };
  subscribe(jid: string): Promise<void>;
  hasRequest(jid: string): boolean;
  approve(jid: string): void;
  isOnline(fullJid: string): boolean;
  send(jid: string, body: string): Promise<void>;
  lastBodyFrom(fullJid: string): string | null;
  logout(): Promise<void>;
}
const WAIT = { timeout: 5000 };
type Helpers = Record<string, (...args: unknown[]) => unknown>;

/** Calls a helper of tests/browser/converse-page.js in the page (functions cross as source text, so no closures). */
function call<K extends keyof Parley>(page: Page, name: K, ...args: Parameters<Parley[K]>): Promise<Awaited<ReturnType<Parley[K]>>> {
  return page.evaluate(([n, a]) => (globalThis as unknown as { parley: Helpers }).parley[n]?.(...a), [name, args] as const) as Promise<Awaited<ReturnType<Parley[K]>>>;
}

/** Waits until a helper returns a truthy value. */
async function until<K extends keyof Parley>(page: Page, name: K, ...args: Parameters<Parley[K]>): Promise<void> {
  await page.waitForFunction(([n, a]) => (globalThis as unknown as { parley: Helpers }).parley[n]?.(...a), [name, args] as const, WAIT);
}

async function converseJs(page: Page, a: Account, errors: string[]): Promise<ClientUnderTest> {
  await page.goto(`${site.origin}/`);
  await page.waitForFunction(() => 'parley' in globalThis, null, WAIT);
  await call(page, 'start', `ws://127.0.0.1:${ts.ports.http}/xmpp-websocket`);
  // What a user does: type the address and password into Converse's login form.
  await page.fill('input[name=jid]', a.jid);
  await page.fill('input[name=password]', a.password);
  await page.click('form [type=submit]');
  const jid = await call(page, 'session');
  const auth = (await call(page, 'traffic')).sent.find((x) => x.startsWith('<auth '));
  return {
    jid,
    mechanism: /mechanism="([^"]+)"/.exec(auth ?? '')?.[1] ?? '',
    subscribe: (to) => call(page, 'subscribe', to),
    approve: (to) => call(page, 'approve', to),
    subscriptionRequest: (from) => until(page, 'hasRequest', from),
    available: (from) => until(page, 'isOnline', from),
    sendMessage: (to, body) => call(page, 'send', to, body),
    messageFrom: async (from) => {
      await until(page, 'lastBodyFrom', from);
      return (await call(page, 'lastBodyFrom', from)) ?? '';
    },
    traffic: () => call(page, 'traffic'),
    disconnect: async () => {
      // Page errors are checked at the end of the session: closing the page after logging out
      // throws in Converse's own unload handler (docs/clients.md, known client bugs).
      assert.deepEqual(errors, [], 'no uncaught errors in the page');
      await call(page, 'logout');
    },
    stop: () => page.context().close(),
  };
}

test('Converse.js in Chromium logs in over WebSocket, subscribes both ways, chats and is seen leaving', { timeout: 40_000 }, async (t) => {
  const { page, refused, errors } = await offlinePage(browser, site.origin);
  const r = await converse(embedded(ts), (a) => converseJs(page, a, errors));
  assert.equal(r.mechanism, 'SCRAM-SHA-512');
  t.diagnostic(`requests:\n${formatRequests(r.requests)}`);
  t.diagnostic(`refused (not served offline): ${refused.join(' ') || 'none'}`);
});
