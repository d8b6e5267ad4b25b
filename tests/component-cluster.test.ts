// External components (XEP-0114) across two s2s processes of a cluster: two federation services on
// their own NATS connections (a subject namespace of this test) and one Postgres scratch schema.
// The component connects to the first; stanzas for it that the second takes are forwarded over the
// bus; its stanzas for a local account reach that account's session actor; a second connection to
// the other process gets conflict.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { type Bus, connectNatsBus } from '@parley/bus';
import { loadConfig, type ParleyConfig } from '@parley/config';
import { loadTlsMaterial } from '@parley/edge';
import { createLogger } from '@parley/log';
import { buildS2SService, handshakeDigest, NS_COMPONENT, type S2SService, serverKeys } from '@parley/s2s';
import { componentRepo, openScratchPostgres, type Sql } from '@parley/store';
import { actorSubject } from '@parley/subjects';
import { decodeWire, encodeWire, type WireMessage } from '@parley/wire';
import { parseFragment } from '@parley/xml';
import { Registry } from 'prom-client';
import { NS, RawClient } from './harness/raw.ts';

const T = { timeout: 30_000 };
const GW = 'gw.localhost';
const SECRET = 'cluster-component-secret-0123';
const prefix = `comp${randomBytes(4).toString('hex')}`;
const dataDir = mkdtempSync(join(tmpdir(), 'parley-component-cluster-'));
let sql: Sql;
let config: ParleyConfig;
const buses: Bus<WireMessage>[] = [];
const services: S2SService[] = [];
const registries = [new Registry(), new Registry()];
const ports: number[] = [];

const bus = () =>
  connectNatsBus<WireMessage>({ url: 'nats://127.0.0.1:4222', codec: { encode: encodeWire, decode: decodeWire }, name: `${prefix}-${buses.length}`, subjectPrefix: prefix }).then((b) => {
    buses.push(b);
    return b;
  });

before(async () => {
  sql = await openScratchPostgres();
  await sql.exec(readFileSync(new URL('../migrations/0023_components.sql', import.meta.url), 'utf8'));
  config = loadConfig({}, { domain: 'localhost', dataDir, s2sPolicy: 'off', componentPort: 0, serverSecret: 'a-cluster-wide-server-secret-of-40-chars', logLevel: 'silent' });
  await componentRepo(sql).add(GW, serverKeys(config).seal(GW, SECRET));
  const log = createLogger({ level: 'silent' });
  const tls = await loadTlsMaterial({ certFile: null, keyFile: null, dataDir, domain: 'localhost', log });
  for (const registry of registries) {
    const s2s = buildS2SService({ config, log, bus: await bus(), tls, registry, components: componentRepo(sql) });
    ports.push((await s2s.start()).component);
    services.push(s2s);
  }
});
after(async () => {
  for (const s of services) await s.stop();
  for (const b of buses) await b.close();
  await sql?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

async function connect(port: number): Promise<RawClient> {
  const c = await RawClient.open(port, GW);
  c.send(`<?xml version='1.0'?><stream:stream xmlns='${NS_COMPONENT}' xmlns:stream='${NS.stream}' to='${GW}'>`);
  for (let i = 0; c.header === null && i < 500; i++) await new Promise((r) => setTimeout(r, 10));
  c.send(`<handshake>${handshakeDigest(c.header?.id ?? '', SECRET)}</handshake>`);
  return c;
}

const counted = async (r: Registry, direction: string) => (await r.getSingleMetric('parley_component_stanzas_total')!.get()).values.find((v) => v.labels.direction === direction)?.value ?? 0;

test('stanzas for a component reach it through whichever s2s process takes them; its own reach the actors; a second connection elsewhere is a conflict', T, async () => {
  const component = await connect(ports[0]!);
  await component.next((e) => e.is('handshake', NS_COMPONENT), 'the handshake accepted');
  const edgeBus = await bus();
  // 16 hand-offs as an edge makes them: the queue group spreads them over both processes (all on the first: 1 in 65,536).
  for (let i = 0; i < 16; i++) {
    const stanza = parseFragment(`<message xmlns='jabber:client' from='alice@localhost/r' to='bot@${GW}' id='m${i}'><body>n${i}</body></message>`);
    assert.deepEqual(await edgeBus.request(actorSubject('s2s', GW), { kind: 'stanza', key: GW, stanza }), { ok: true });
  }
  for (let i = 0; i < 16; i++) await component.next((e) => e.is('message', NS_COMPONENT) && e.attr('id') === `m${i}`, `message m${i} at the component`);
  assert.equal(await counted(registries[0]!, 'out'), 16, 'all delivered by the holding process');
  assert.ok((await counted(registries[1]!, 'forwarded')) >= 1, 'the other process forwarded its share over the bus');

  // The component writes to a local account: the stanza goes to alice's session actor (here: this test on its subject).
  const seen = new Promise<WireMessage>((resolve) => {
    edgeBus.subscribe(actorSubject('session', 'alice@localhost'), (msg) => {
      resolve(msg);
      return { ok: true };
    });
  });
  await edgeBus.flush();
  component.send(`<message xmlns='${NS_COMPONENT}' from='bot@${GW}' to='alice@localhost'><body>hi alice</body></message>`);
  const msg = await seen;
  assert.ok('kind' in msg && msg.kind === 'stanza' && msg.stanza.attr('from') === `bot@${GW}` && msg.stanza.getChildText('body') === 'hi alice', new TextDecoder().decode(encodeWire(msg)));

  const second = await connect(ports[1]!);
  assert.equal(await second.streamError(), 'conflict');
  component.close();
});
