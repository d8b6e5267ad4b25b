import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { xml } from '@parley/xml';
import type { ExtensionModule } from './module.ts';
import { loadModules } from './registry.ts';

const iq = (xmlns: string, scope: Array<'server' | 'account'> = ['server']) => ({ scope, type: 'get' as const, name: 'query', xmlns, handle: () => ({ result: [] }) });

describe('loading extension modules', () => {
  test('disco#info is computed from what is loaded, per addressee, sorted and without repeats', () => {
    const loaded = loadModules([
      { name: 'a', specs: [], disco: [{ on: ['server', 'own-account'], features: ['urn:b', 'urn:a'] }, { on: ['server'], identity: { category: 'server', type: 'im' } }] },
      { name: 'b', specs: [], disco: [{ on: ['server', 'account'], features: ['urn:a'] }] },
    ]);
    assert.deepEqual(loaded.disco('server').features, ['urn:a', 'urn:b']);
    assert.deepEqual(loaded.disco('own-account').features, ['urn:a', 'urn:b']);
    assert.deepEqual(loaded.disco('account').features, ['urn:a']);
    assert.equal(loaded.disco('server').identities[0]?.attr('category'), 'server');
    assert.deepEqual(loaded.disco('account').identities, []);
  });

  test('two modules answering the same IQ are refused at load time, across services too', () => {
    assert.throws(() => loadModules([{ name: 'a', specs: [], session: { iq: [iq('urn:x')] } }, { name: 'b', specs: [], session: { iq: [iq('urn:x')] } }]), /modules a and b both handle/);
    assert.throws(() => loadModules([{ name: 'a', specs: [], session: { iq: [iq('urn:x')] } }, { name: 'b', specs: [], presence: { iq: [iq('urn:x')] } }]), /modules a and b both handle/);
    assert.throws(() => loadModules([{ name: 'a', specs: [] }, { name: 'a', specs: [] }]), /loaded twice/);
  });

  test('the same payload may be handled for the server by one module and for accounts by another', () => {
    const loaded = loadModules([{ name: 'a', specs: [], session: { iq: [iq('urn:x', ['server'])] } }, { name: 'b', specs: [], session: { iq: [iq('urn:x', ['account'])] } }]);
    assert.ok(loaded.session.iq.find('server', 'get', 'urn:x', 'query'));
    assert.ok(loaded.session.iq.find('account', 'get', 'urn:x', 'query'));
    assert.equal(loaded.session.iq.find('server', 'set', 'urn:x', 'query'), undefined);
  });

  test('an IQ to the server goes to the presence service only when a presence module handles it', () => {
    const loaded = loadModules([{ name: 'r', specs: [], presence: { iq: [iq('jabber:iq:roster')] } }]);
    assert.equal(loaded.edge.serverIqService('jabber:iq:roster', 'query'), 'presence');
    assert.equal(loaded.edge.serverIqService('urn:xmpp:ping', 'ping'), 'session');
  });

  test('stream features come in module order, each at its stage, and connection hooks are made per connection', () => {
    let made = 0;
    const mods: ExtensionModule[] = [
      { name: 'one', specs: [], edge: { features: [{ stage: 'after-auth', element: () => xml('one') }, { stage: 'before-auth', element: () => xml('early') }] } },
      { name: 'two', specs: [], edge: { features: [{ stage: 'after-auth', element: () => xml('two') }], connection: () => ({ xmlns: `urn:c${++made}` }) } },
    ];
    const loaded = loadModules(mods);
    assert.deepEqual(loaded.edge.features('after-auth').map((e) => e.name), ['one', 'two']);
    assert.deepEqual(loaded.edge.features('before-auth').map((e) => e.name), ['early']);
    const api = {} as never;
    assert.deepEqual([loaded.edge.connect(api)[0]?.xmlns, loaded.edge.connect(api)[0]?.xmlns], ['urn:c1', 'urn:c2']);
  });

  test('edge-local IQs are found only at the stages they declare', () => {
    const loaded = loadModules([{ name: 's', specs: [], edge: { localIq: [{ type: 'set', name: 'session', xmlns: 'urn:s', stages: ['before-bind'], handle: (e) => e }] } }]);
    assert.ok(loaded.edge.localIq('before-bind', 'set', 'urn:s', 'session'));
    assert.equal(loaded.edge.localIq('established', 'set', 'urn:s', 'session'), undefined);
  });

  test('Bind2 inline features are collected from every module, in load order', () => {
    const loaded = loadModules([
      { name: 'a', specs: [], edge: { bind2Inline: ['urn:a'] } },
      { name: 'b', specs: [] },
      { name: 'c', specs: [], edge: { bind2Inline: ['urn:c'] } },
    ]);
    assert.deepEqual(loaded.edge.bind2Inline(), ['urn:a', 'urn:c']);
  });

  test('SASL2 inline features are collected from every module, in load order, built afresh each time', () => {
    const loaded = loadModules([
      { name: 'a', specs: [], edge: { sasl2Inline: [() => xml('x', { xmlns: 'urn:a' })] } },
      { name: 'b', specs: [] },
      { name: 'c', specs: [], edge: { sasl2Inline: [() => xml('y', { xmlns: 'urn:c' })] } },
    ]);
    const first = loaded.edge.sasl2Inline();
    assert.deepEqual(first.map((e) => e.getNS()), ['urn:a', 'urn:c']);
    assert.notEqual(loaded.edge.sasl2Inline()[0], first[0], 'each stream gets its own elements');
  });

  test('disco node providers are collected in load order, and each module gets its own HTTP scope', async () => {
    const provider = { items: () => [xml('item', { jid: 'x' })] };
    const seen: string[] = [];
    const loaded = loadModules([
      { name: 'a', specs: [], session: { discoNodes: provider } },
      { name: 'b', specs: [] },
      { name: 'c', specs: [], edge: { http: async (app) => void seen.push(typeof app.get) } },
    ]);
    assert.deepEqual(loaded.session.discoNodes, [provider]);
    const { default: Fastify } = await import('fastify');
    const app = Fastify();
    await loaded.edge.http(app, { store: {} as never, log: {} as never });
    await app.ready();
    assert.deepEqual(seen, ['function']);
    await app.close();
  });
});
