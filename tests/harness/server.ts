// Starts an embedded Parley for one test file: in-process, random ports, in-memory database.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type EmbeddedOverrides, type EmbeddedServer, startEmbedded } from '@parley/cli';

export interface TestServer {
  server: EmbeddedServer;
  domain: string;
  ports: EmbeddedServer['ports'];
  /** Creates accounts; returns their bare JIDs in order. */
  addUsers(...users: Array<[username: string, password: string]>): Promise<string[]>;
  stop(): Promise<void>;
}

export async function startTestServer(overrides: EmbeddedOverrides = {}): Promise<TestServer> {
  // The data directory only holds the generated self-signed certificate.
  const dataDir = mkdtempSync(join(tmpdir(), 'parley-test-'));
  const server = await startEmbedded(
    {
      inMemory: true,
      dataDir,
      c2sPort: 0,
      c2sTlsPort: 0,
      httpPort: 0,
      s2sPort: 0,
      s2sTlsPort: 0,
      componentPort: 0,
      // The admin API and console (HTTPS with the test certificate) on a random port: ports.admin.
      adminPort: 0,
      bindAddress: '127.0.0.1',
      logLevel: 'warn',
      scramIterations: 4096,
      ...overrides,
    },
    {}, // an empty environment, so a developer's PARLEY_* variables do not leak into tests
  );
  return {
    server,
    domain: server.domain,
    ports: server.ports,
    async addUsers(...users) {
      const out: string[] = [];
      for (const [u, p] of users) {
        await server.addUser(u, p);
        out.push(`${u}@${server.domain}`);
      }
      return out;
    },
    async stop() {
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

let counter = 0;
/** A fresh username per test, so tests sharing one server never see each other's rosters. */
export function uniqueName(prefix: string): string {
  counter += 1;
  return `${prefix}${counter}`;
}
