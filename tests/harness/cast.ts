// The cast of a conversation test file: one embedded server, fresh accounts per test, and
// clients that are stopped after the file's last test.
import { after, before } from 'node:test';
import type { EmbeddedOverrides } from '@parley/cli';
import { startTestServer, type TestServer, uniqueName } from './server.ts';
import { SlixClient } from './slix.ts';
import { XmppJsClient } from './xmppjs.ts';

export interface Account {
  user: string;
  jid: string;
  password: string;
}

export interface Cast {
  server(): TestServer;
  /** A fresh account (its name is unique on the shared server). */
  account(prefix: string): Promise<Account>;
  xmppjs(a: Account, resource?: string): Promise<XmppJsClient>;
  slix(a: Account, resource?: string): Promise<SlixClient>;
}

/** `overrides` configure the file's server (a policy under test). */
export function castPerFile(overrides: EmbeddedOverrides = {}): Cast {
  let ts: TestServer | undefined;
  const open: Array<{ stop(): Promise<void> }> = [];
  before(async () => {
    ts = await startTestServer(overrides);
  });
  after(async () => {
    await Promise.all(open.splice(0).map((c) => c.stop()));
    await ts?.stop();
  });
  const server = () => {
    if (!ts) throw new Error('the server starts before the first test');
    return ts;
  };
  return {
    server,
    async account(prefix) {
      const user = uniqueName(prefix);
      const password = `${user}-secret`;
      await server().addUsers([user, password]);
      return { user, jid: `${user}@${server().domain}`, password };
    },
    async xmppjs(a, resource = 'js') {
      const s = server();
      const c = await XmppJsClient.connect({ service: `xmpp://127.0.0.1:${s.ports.c2s}`, domain: s.domain, username: a.user, password: a.password, resource, fingerprint: s.server.fingerprint });
      open.push(c);
      return c;
    },
    async slix(a, resource = 'slix') {
      const c = await SlixClient.connect({ jid: `${a.jid}/${resource}`, password: a.password, port: server().ports.c2s, mech: 'SCRAM-SHA-256' });
      open.push(c);
      return c;
    },
  };
}
