import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type IqOutcome, loadModules, type SessionIqRequest } from '@parley/ext';
import { parseJid } from '@parley/jid';
import type { ActorRequest } from '@parley/wire';
import { type Element, xml } from '@parley/xml';
import { adhoc, commandRegistry, NS_COMMANDS, NS_DATA } from '../adhoc/index.ts';
import { LIST_SUBSCRIBERS_NODE, subscribers } from './index.ts';

const DOMAIN = 'example.com';
const ALICE = 'alice@example.com/phone';
const ORIGIN = { edge: 'e1', conn: 'c1', jid: ALICE };

function setup(subs: Record<string, string[]>) {
  const registry = commandRegistry();
  const told: Array<{ service: string; msg: ActorRequest }> = [];
  const loaded = loadModules([subscribers({ commands: registry }), adhoc(registry)]);
  const handler = loaded.session.iq.find('server', 'set', NS_COMMANDS, 'command')!;
  const env = {
    domain: DOMAIN,
    store: { roster: { subscribers: async (owner: string) => [...(subs[owner] ?? [])] } },
    tell: (service: string, msg: ActorRequest) => told.push({ service, msg }),
  };
  const ctx = (from: string, payload: Element, origin: typeof ORIGIN | undefined = ORIGIN): SessionIqRequest => ({
    domain: DOMAIN,
    from: parseJid(from),
    to: parseJid(DOMAIN),
    payload,
    iq: xml('iq', { type: 'set' }, payload),
    env: env as never,
    origin,
    disco: loaded.disco,
    discoNodes: loaded.session.discoNodes,
  });
  const run = (from: string, attrs: Record<string, string>, ...children: Element[]) => handler.handle(ctx(from, xml('command', { xmlns: NS_COMMANDS, node: LIST_SUBSCRIBERS_NODE, ...attrs }, ...children)));
  return { run, told, loaded, ctx };
}

const result = (o: IqOutcome) => {
  if (!('result' in o)) assert.fail(`expected a result, got ${o.error}`);
  return o.result[0]!;
};
const submit = (...jids: string[]) => xml('x', { xmlns: NS_DATA, type: 'submit' }, xml('field', { var: 'subscribers' }, ...jids.map((j) => xml('value', {}, j))));
const options = (cmd: Element) => cmd.getChild('x', NS_DATA)!.getChildren('field').find((f) => f.attr('var') === 'subscribers')!.getChildren('option').map((o) => o.getChildText('value'));

describe('list-subscribers (publisher control, XEP-0050)', () => {
  test('lists her subscribers in a multi-select form', async () => {
    const { run } = setup({ 'alice@example.com': ['carol@example.com', 'bob@example.com'] });
    const cmd = result(await run(ALICE, { action: 'execute' }));
    assert.equal(cmd.attr('status'), 'executing');
    const field = cmd.getChild('x', NS_DATA)!.getChildren('field')[0]!;
    assert.equal(field.attr('type'), 'list-multi');
    assert.deepEqual(options(cmd), ['bob@example.com', 'carol@example.com']);
  });

  test('cancelling hands her unsubscribed to her presence actor, as from her session (RFC 6121 §3.2.1)', async () => {
    const { run, told } = setup({ 'alice@example.com': ['bob@example.com', 'carol@example.com'] });
    const first = result(await run(ALICE, { action: 'execute' }));
    const done = result(await run(ALICE, { sessionid: first.attr('sessionid')!, action: 'complete' }, submit('bob@example.com')));
    assert.equal(done.attr('status'), 'completed');
    assert.equal(told.length, 1);
    const { service, msg } = told[0]!;
    assert.equal(service, 'presence');
    assert.equal(msg.kind, 'stanza');
    if (msg.kind !== 'stanza') return;
    assert.equal(msg.key, 'alice@example.com');
    assert.deepEqual(msg.origin, ORIGIN);
    assert.deepEqual([msg.stanza.name, msg.stanza.attr('type'), msg.stanza.attr('from'), msg.stanza.attr('to')], ['presence', 'unsubscribed', ALICE, 'bob@example.com']);
    const still = done.getChild('x', NS_DATA)!.getChildren('field').find((f) => f.attr('var') === 'subscribers')!;
    assert.deepEqual(still.getChildren('value').map((v) => v.text()), ['carol@example.com']);
  });

  test('submitting nothing cancels nothing', async () => {
    const { run, told } = setup({ 'alice@example.com': ['bob@example.com'] });
    const first = result(await run(ALICE, { action: 'execute' }));
    const done = result(await run(ALICE, { sessionid: first.attr('sessionid')!, action: 'complete' }, submit()));
    assert.equal(done.attr('status'), 'completed');
    assert.equal(told.length, 0);
  });

  test('a JID that was not offered is bad-request with bad-payload (XEP-0050 §6), and nothing is cancelled', async () => {
    const { run, told } = setup({ 'alice@example.com': ['bob@example.com'] });
    const first = result(await run(ALICE, { action: 'execute' }));
    const out = await run(ALICE, { sessionid: first.attr('sessionid')!, action: 'complete' }, submit('mallory@example.com'));
    assert.ok('error' in out);
    assert.equal(out.error, 'bad-request');
    assert.equal(out.appCondition?.name, 'bad-payload');
    assert.equal(told.length, 0);
  });

  test('completing without the form is bad-request', async () => {
    const { run } = setup({ 'alice@example.com': ['bob@example.com'] });
    const first = result(await run(ALICE, { action: 'execute' }));
    const out = await run(ALICE, { sessionid: first.attr('sessionid')!, action: 'complete' });
    assert.ok('error' in out && out.error === 'bad-request');
  });

  test('another server’s user may neither see nor run it (XEP-0050 §4.4)', async () => {
    const { run, loaded, ctx } = setup({});
    const out = await run('eve@elsewhere.org/x', { action: 'execute' });
    assert.ok('error' in out && out.error === 'forbidden');
    const items = await loaded.session.discoNodes[0]!.items!(ctx('eve@elsewhere.org/x', xml('query')), NS_COMMANDS);
    assert.deepEqual(items, []);
  });
});
