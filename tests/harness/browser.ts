// A real headless Chromium (Debian's `chromium`, never a browser downloaded by npm) driven by
// playwright-core, for web clients over WebSocket. Pages are served offline by the test: a request
// to any other origin (a CDN, a font service, XEP-0156 discovery) is refused and recorded.
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, normalize } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';

export const CHROMIUM = process.env.PARLEY_TEST_CHROMIUM ?? '/usr/bin/chromium';

export function launchChromium(): Promise<Browser> {
  // Chromium refuses to start its sandbox as root, which is how CI runs.
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.mp3': 'audio/mpeg',
  '.ogg': 'audio/ogg',
};

export interface StaticSite {
  origin: string;
  close(): Promise<void>;
}

/** Serves on a random loopback port: `files` maps URL paths to files, `dirs` URL prefixes to directories. */
export async function serveStatic(files: Record<string, string>, dirs: Record<string, string> = {}): Promise<StaticSite> {
  const resolve = (path: string): string | undefined => {
    if (files[path]) return files[path];
    for (const [prefix, dir] of Object.entries(dirs)) {
      if (!path.startsWith(`${prefix}/`)) continue;
      const rest = normalize(path.slice(prefix.length));
      return rest.startsWith('/..') ? undefined : `${dir}${rest}`;
    }
    return undefined;
  };
  const server = createServer(async (req, res) => {
    const file = resolve(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname));
    try {
      if (!file) throw new Error('not served');
      const body = await readFile(file);
      res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A fresh page (own profile) that may load only from `origin`; other requests are aborted and listed in `refused`. */
export async function offlinePage(browser: Browser, origin: string): Promise<{ page: Page; refused: string[]; errors: string[] }> {
  const context = await browser.newContext();
  const refused: string[] = [];
  const errors: string[] = [];
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith(`${origin}/`)) return route.continue();
    refused.push(url);
    return route.abort('blockedbyclient');
  });
  const page = await context.newPage();
  page.on('pageerror', (err) => errors.push(err.message));
  return { page, refused, errors };
}
