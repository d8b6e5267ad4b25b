// The web console: a few static files from the package's public/ directory, no CDN and no
// external assets, served with a strict Content-Security-Policy (scripts and styles from here only).
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';

/**
 * services/admin/public. This file runs as TypeScript (services/admin/src) or bundled into the
 * CLI (services/cli/dist): both are three levels below the repository root.
 */
export const consoleDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'services', 'admin', 'public');

const FILES: Record<string, string> = {
  '/': 'index.html',
  '/console.js': 'console.js',
  '/console.css': 'console.css',
};
const TYPES: Record<string, string> = { html: 'text/html; charset=utf-8', js: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8' };
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'";

export function mountConsole(app: FastifyInstance, dir = consoleDir): void {
  for (const [url, file] of Object.entries(FILES)) {
    // Read once at start: a missing file is a broken install and should stop the server.
    const body = readFileSync(join(dir, file));
    const type = TYPES[file.slice(file.lastIndexOf('.') + 1)]!;
    app.get(url, { config: { access: { public: true } } }, async (_req, reply) =>
      reply
        .type(type)
        .header('content-security-policy', CSP)
        .header('x-content-type-options', 'nosniff')
        .header('referrer-policy', 'no-referrer')
        .header('cache-control', 'no-cache')
        .send(body),
    );
  }
}
