import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type IqOutcome, loadModules, type SessionIqRequest } from '@parley/ext';
import { parseJid } from '@parley/jid';
import { type Element, xml } from '@parley/xml';
import { adhoc, type CommandStep, commandRegistry, dataForm, NS_COMMANDS, NS_DATA } from './index.ts';

const DOMAIN = 'example.com';

/** A two-stage command: ask a colour, then confirm; admins only see it. */
function setup(now = { t: 0 }) {
  const registry = commandRegistry();
  registry.register<{ colour?: string }>({
    node: 'urn:test:colour',
    name: 'Pick a colour',
    allowed: (ctx) => ctx.from.local === 'alice',
    start: async () => ({ status: 'executing', state: {}, actions: ['next'], form: dataForm('form', { fields: [{ var: 'colour', type: 'text-single' }] }) }),
    next: async (_ctx, { action, values, state }): Promise<CommandStep<{ colour?: string }>> => {
      if (action === 'prev') return { status: 'executing', state: {}, actions: ['next'], form: dataForm('form', { fields: [{ var: 'colour', type: 'text-single' }] }) };
      if (state.colour === undefined) {
        const colour = values?.get('colour')?.[0];
        if (!colour) return { status: 'error', condition: 'bad-request', badPayload: true };
        return { status: 'executing', state: { colour }, actions: ['prev', 'complete'], execute: 'complete', form: dataForm('form', { fields: [{ type: 'fixed', value: `Confirm ${colour}?` }] }) };
      }
      return { status: 'completed', notes: [{ type: 'info', text: `Chose ${state.colour}` }] };
    },
  });
  const loaded = loadModules([adhoc(registry, { now: () => now.t, sessionTtlMs: 1000 })]);
  const handler = loaded.session.iq.find('server', 'set', NS_COMMANDS, 'command')!;
  const ctx = (from: string, payload: Element, to = DOMAIN): SessionIqRequest => ({
    domain: DOMAIN,
    from: parseJid(from),
    to: parseJid(to),
    payload,
    iq: xml('iq', { type: 'set' }, payload),
    env: {} as never,
    disco: loaded.disco,
    discoNodes: loaded.session.discoNodes,
  });
  const run = async (from: string, attrs: Record<string, string>, ...children: Element[]) => handler.handle(ctx(from, xml('command', { xmlns: NS_COMMANDS, ...attrs }, ...children)));
  return { loaded, run, ctx };
}

const result = (o: IqOutcome) => {
  if (!('result' in o)) assert.fail(`expected a result, got ${o.error}`);
  return o.result[0]!;
};
const specific = (o: IqOutcome) => ('error' in o ? [o.error, o.appCondition?.name] : ['result']);
const submit = (colour: string) => xml('x', { xmlns: NS_DATA, type: 'submit' }, xml('field', { var: 'colour' }, xml('value', {}, colour)));

describe('XEP-0050 ad-hoc commands', () => {
  test('the commands node lists only the commands the requester may run (§2.2) and each is a command node (§2.3)', async () => {
    const { loaded, ctx } = setup();
    const [provider] = loaded.session.discoNodes;
    const items = await provider!.items!(ctx('alice@example.com/a', xml('query')), NS_COMMANDS);
    assert.deepEqual(items?.map((i) => [i.attr('jid'), i.attr('node'), i.attr('name')]), [[DOMAIN, 'urn:test:colour', 'Pick a colour']]);
    assert.deepEqual(await provider!.items!(ctx('bob@example.com/b', xml('query')), NS_COMMANDS), []);
    const info = await provider!.info!(ctx('alice@example.com/a', xml('query')), 'urn:test:colour');
    assert.equal(info?.[0]?.attr('type'), 'command-node');
    assert.equal(await provider!.info!(ctx('bob@example.com/b', xml('query')), 'urn:test:colour'), undefined);
    assert.ok(loaded.disco('server').features.includes(NS_COMMANDS));
  });

  test('a multi-stage command runs with its session id through prev, next and complete (§3.4)', async () => {
    const { run } = setup();
    const first = result(await run('alice@example.com/a', { node: 'urn:test:colour', action: 'execute' }));
    assert.equal(first.attr('status'), 'executing');
    const sessionid = first.attr('sessionid')!;
    assert.ok(sessionid);
    assert.equal(first.getChild('actions')?.attr('execute'), 'next');
    assert.equal(first.getChild('x', NS_DATA)?.attr('type'), 'form');
    const second = result(await run('alice@example.com/a', { node: 'urn:test:colour', sessionid }, submit('teal')));
    assert.deepEqual(second.getChild('actions')?.getChildElements().map((e) => e.name), ['prev', 'complete']);
    // 'execute' means the stage's default action: complete.
    const done = result(await run('alice@example.com/a', { node: 'urn:test:colour', sessionid, action: 'execute' }));
    assert.equal(done.attr('status'), 'completed');
    assert.equal(done.getChild('note')?.text(), 'Chose teal');
    assert.equal(done.getChild('note')?.attr('type'), 'info');
    // The session is over.
    assert.deepEqual(specific(await run('alice@example.com/a', { node: 'urn:test:colour', sessionid, action: 'complete' })), ['bad-request', 'bad-sessionid']);
  });

  test('cancel ends a session with status canceled (§3.4.3)', async () => {
    const { run } = setup();
    const sessionid = result(await run('alice@example.com/a', { node: 'urn:test:colour' })).attr('sessionid')!;
    const canceled = result(await run('alice@example.com/a', { node: 'urn:test:colour', sessionid, action: 'cancel' }));
    assert.equal(canceled.attr('status'), 'canceled');
    assert.deepEqual(specific(await run('alice@example.com/a', { node: 'urn:test:colour', sessionid, action: 'next' }, submit('x'))), ['bad-request', 'bad-sessionid']);
  });

  test('misuse gets the errors of §6', async () => {
    const { run, loaded } = setup();
    assert.deepEqual(specific(await run('alice@example.com/a', { node: 'urn:test:colour', action: 'dance' })), ['bad-request', 'malformed-action']);
    assert.deepEqual(specific(await run('alice@example.com/a', { node: 'urn:test:colour', action: 'next' })), ['bad-request', 'bad-action']);
    assert.deepEqual(specific(await run('bob@example.com/b', { node: 'urn:test:colour' })), ['forbidden', undefined]);
    assert.deepEqual(specific(await run('alice@example.com/a', { node: 'urn:test:nope' })), ['item-not-found', undefined]);
    const sessionid = result(await run('alice@example.com/a', { node: 'urn:test:colour' })).attr('sessionid')!;
    // Another resource, even of the same account, does not own the session.
    assert.deepEqual(specific(await run('alice@example.com/other', { node: 'urn:test:colour', sessionid }, submit('x'))), ['bad-request', 'bad-sessionid']);
    // An action this stage does not allow.
    assert.deepEqual(specific(await run('alice@example.com/a', { node: 'urn:test:colour', sessionid, action: 'complete' })), ['bad-request', 'bad-action']);
    // A stage that finds the data unusable: bad-payload, and the session stays for a corrected submit.
    assert.deepEqual(specific(await run('alice@example.com/a', { node: 'urn:test:colour', sessionid })), ['bad-request', 'bad-payload']);
    assert.equal(result(await run('alice@example.com/a', { node: 'urn:test:colour', sessionid }, submit('red'))).attr('status'), 'executing');
    assert.ok(loaded.names.includes('adhoc'));
  });

  test('a session past its time answers session-expired (§6)', async () => {
    const clock = { t: 0 };
    const { run } = setup(clock);
    const sessionid = result(await run('alice@example.com/a', { node: 'urn:test:colour' })).attr('sessionid')!;
    clock.t = 5000;
    assert.deepEqual(specific(await run('alice@example.com/a', { node: 'urn:test:colour', sessionid }, submit('x'))), ['not-allowed', 'session-expired']);
  });

  test('a command registered twice is refused at wiring time', () => {
    const registry = commandRegistry();
    const c = { node: 'n', name: 'n', allowed: () => true, start: async () => ({ status: 'completed' as const }), next: async () => ({ status: 'completed' as const }) };
    registry.register(c);
    assert.throws(() => registry.register(c), /registered twice/);
  });
});
